import net from 'node:net';

// Ports handed to servers a test starts later (a gate, a private Kafka) come from below
// the kernel's ephemeral range (32768-60999 here): a port the kernel picks with
// listen(0) and we close again can be taken, before our server binds it, by any
// outgoing connection (a Kafka client, a health probe) and the server dies with
// EADDRINUSE. Below the range only a deliberate listen can take it. The range stops
// short of the stacks' fixed ports (17000+, 27000+) and Kubernetes' NodePorts (30000+).
const FIRST = 20_000;
const LAST = 26_999;
// Each Jest worker walks its own slice, so two workers never pick the same port.
const SLICES = 8;
const SLICE = Math.floor((LAST - FIRST + 1) / SLICES);
const slice = Number(process.env.JEST_WORKER_ID ?? 0) % SLICES;
const sliceStart = FIRST + slice * SLICE;
// A random start: a test file after another in the same worker (module state is
// fresh for each) does not walk into ports its predecessor's processes may still hold.
let cursor = Math.floor(Math.random() * SLICE);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** Ports free right now that no outgoing connection will take before a server binds them. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried === SLICE) throw new Error(`no free port in ${sliceStart}-${sliceStart + SLICE - 1}`);
    const port = sliceStart + (cursor++ % SLICE);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}
