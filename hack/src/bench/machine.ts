import os from 'node:os';

/** What the numbers were measured on, printed with every table and kept in the JSON. */
export function machine(): {
  cpus: string;
  cores: number;
  memoryGiB: number;
  node: string;
  load: number[];
} {
  return {
    cpus: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    load: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
