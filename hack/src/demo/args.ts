import { parseArgs } from 'node:util';

export interface DemoArgs {
  users: number;
  stock: number;
  rate: number;
  gates: number;
  arrivalSeconds: number;
  keep: boolean;
}

const usage = `Usage: npm start -- [--users N] [--stock N] [--rate N] [--gates N] [--arrival SECONDS] [--keep]

  --users    shoppers in the crowd (default 20000)
  --stock    coupons on sale (default 2000)
  --rate     admissions per second, dispatchPerSecond (default 500)
  --gates    gate replicas (default 2)
  --arrival  seconds over which the crowd arrives (default 2)
  --keep     leave the platform running afterwards for curl and kubectl (Ctrl-C stops it)`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a whole number above 0, got "${value}"\n\n${usage}`);
  return n;
}

export function parseDemoArgs(argv: string[]): DemoArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string' },
      stock: { type: 'string' },
      rate: { type: 'string' },
      gates: { type: 'string' },
      arrival: { type: 'string' },
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
    users: positive('users', values.users, 20_000),
    stock: positive('stock', values.stock, 2_000),
    rate: positive('rate', values.rate, 500),
    gates: positive('gates', values.gates, 2),
    arrivalSeconds: arrival,
    keep: values.keep ?? false,
  };
}
