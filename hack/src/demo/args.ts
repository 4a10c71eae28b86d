import { parseArgs } from 'node:util';

export interface DemoArgs {
  users: number;
  stock: number;
  rate: number;
  gates: number;
  arrivalSeconds: number;
  /** Everybody polls, as a page without EventSource would: push's counterpart to compare. */
  poll: boolean;
  keep: boolean;
}

export interface DemoDefaults {
  /** How the person started it, for the usage text. */
  command: string;
  users: number;
  stock: number;
  rate: number;
}

const localDefaults: DemoDefaults = {
  command: 'npm start',
  users: 20_000,
  stock: 2_000,
  rate: 500,
};

const usageOf = (
  d: DemoDefaults,
) => `Usage: ${d.command} -- [--users N] [--stock N] [--rate N] [--gates N] [--arrival SECONDS] [--poll] [--keep]

  --users    shoppers in the crowd (default ${d.users})
  --stock    coupons on sale (default ${d.stock})
  --rate     admissions per second, dispatchPerSecond (default ${d.rate})
  --gates    gate replicas (default 2)
  --arrival  seconds over which the crowd arrives (default 2)
  --poll     shoppers poll their status instead of following the push stream
  --keep     leave the platform running afterwards for curl and kubectl (Ctrl-C stops it)`;

function positive(
  name: string,
  value: string | undefined,
  fallback: number,
  usage: string,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a whole number above 0, got "${value}"\n\n${usage}`);
  return n;
}

export function parseDemoArgs(argv: string[], defaults: DemoDefaults = localDefaults): DemoArgs {
  const usage = usageOf(defaults);
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' },
      stock: { type: 'string' },
      rate: { type: 'string' },
      gates: { type: 'string' },
      arrival: { type: 'string' },
      poll: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const arrival = values.arrival === undefined ? 2 : Number(values.arrival);
  if (!Number.isFinite(arrival) || arrival < 0)
    throw new Error(`--arrival must be 0 or more seconds\n\n${usage}`);
  return {
    users: positive('users', values.users, defaults.users, usage),
    stock: positive('stock', values.stock, defaults.stock, usage),
    rate: positive('rate', values.rate, defaults.rate, usage),
    gates: positive('gates', values.gates, 2, usage),
    arrivalSeconds: arrival,
    poll: values.poll ?? false,
    keep: values.keep ?? false,
  };
}
