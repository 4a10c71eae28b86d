// cluster-key-slot (ioredis' own dependency) ships no types: its one function.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot of a key (CRC16 of its hash tag, modulo 16384). */
  export default function calculateSlot(key: string | Buffer): number;
}
