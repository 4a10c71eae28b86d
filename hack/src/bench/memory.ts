import { readFileSync } from 'node:fs';

/** A kB field of /proc/<pid>/status; undefined when the process is gone or not on Linux. */
function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory of a process in MiB (Linux VmHWM, the high-water mark the
 * kernel keeps), or undefined when the process is gone or not on Linux.
 */
export function peakRssMiB(pid: number): number | undefined {
  const kb = statusKiB(pid, 'VmHWM');
  return kb === undefined ? undefined : Math.round(kb / 1024);
}

/** Resident memory of a process now, in MiB to a tenth (VmRSS). */
export function rssMiB(pid: number): number | undefined {
  const kb = statusKiB(pid, 'VmRSS');
  return kb === undefined ? undefined : Math.round(kb / 102.4) / 10;
}

export function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
