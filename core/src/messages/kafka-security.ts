import { z } from 'zod';
import { env } from '../config/env.js';

/**
 * How every service reaches a Kafka that wants TLS and SASL (SCRAM-SHA-512, the issue's
 * choice; SCRAM-SHA-256 and PLAIN too), from settings the three services share. Files
 * (CA, client certificate, password) are named by path, as a Kubernetes Secret mounts
 * them, and read by the service: core only turns their contents into kafkajs options.
 */
export const kafkaSecuritySettings = {
  /** Connect with TLS, verifying the brokers' certificates (against KAFKA_TLS_CA_FILE when set). */
  KAFKA_TLS: env.bool().default(false),
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** A client certificate and its key, when the brokers ask for one (mutual TLS). */
  KAFKA_TLS_CERT_FILE: z.string().min(1).optional(),
  KAFKA_TLS_KEY_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** The password itself (from a Secret through the environment), or a file holding it. */
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
};

export type KafkaSecuritySettings = z.output<z.ZodObject<typeof kafkaSecuritySettings>>;
type SaslMechanism = NonNullable<KafkaSecuritySettings['KAFKA_SASL_MECHANISM']>;

/** A settings problem, as zod's superRefine reports one (path and a sentence). */
export interface SettingsIssue {
  path: string;
  message: string;
}

/** What the security settings contradict or leave out, for the services' superRefine. */
export function kafkaSecurityIssues(s: KafkaSecuritySettings): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const needTls = (path: keyof KafkaSecuritySettings) =>
    issues.push({ path, message: `only means something with KAFKA_TLS=true` });
  if (!s.KAFKA_TLS) {
    if (s.KAFKA_TLS_CA_FILE) needTls('KAFKA_TLS_CA_FILE');
    if (s.KAFKA_TLS_CERT_FILE) needTls('KAFKA_TLS_CERT_FILE');
    if (s.KAFKA_TLS_KEY_FILE) needTls('KAFKA_TLS_KEY_FILE');
  }
  if ((s.KAFKA_TLS_CERT_FILE === undefined) !== (s.KAFKA_TLS_KEY_FILE === undefined))
    issues.push({
      path: s.KAFKA_TLS_CERT_FILE ? 'KAFKA_TLS_KEY_FILE' : 'KAFKA_TLS_CERT_FILE',
      message: 'a client certificate needs its key, and a key its certificate',
    });
  const password = s.KAFKA_SASL_PASSWORD !== undefined || s.KAFKA_SASL_PASSWORD_FILE !== undefined;
  if (s.KAFKA_SASL_MECHANISM) {
    if (!s.KAFKA_SASL_USERNAME)
      issues.push({ path: 'KAFKA_SASL_USERNAME', message: `is required with SASL` });
    if (!password)
      issues.push({
        path: 'KAFKA_SASL_PASSWORD',
        message: 'SASL needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE',
      });
    if (s.KAFKA_SASL_PASSWORD !== undefined && s.KAFKA_SASL_PASSWORD_FILE !== undefined)
      issues.push({
        path: 'KAFKA_SASL_PASSWORD_FILE',
        message: 'give KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
      });
    if (s.KAFKA_SASL_MECHANISM === 'plain' && !s.KAFKA_TLS)
      issues.push({
        path: 'KAFKA_SASL_MECHANISM',
        message: 'plain sends the password as it is: use it only with KAFKA_TLS=true',
      });
  } else if (s.KAFKA_SASL_USERNAME || password)
    issues.push({
      path: 'KAFKA_SASL_MECHANISM',
      message:
        'is required with a SASL username or password (scram-sha-512, scram-sha-256 or plain)',
    });
  return issues;
}

/** kafkaSecurityIssues as a settings schema's superRefine reports them. */
export function refineKafkaSecurity(s: KafkaSecuritySettings, ctx: z.RefinementCtx): void {
  for (const issue of kafkaSecurityIssues(s))
    ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

/** kafkajs' `ssl` and `sasl` options (structurally: core imports no Kafka client). */
export interface KafkaSecurity {
  ssl?: { rejectUnauthorized: true; ca?: string; cert?: string; key?: string };
  /** One member per mechanism, as kafkajs types them. */
  sasl?: {
    [M in SaslMechanism]: { mechanism: M; username: string; password: string };
  }[SaslMechanism];
}

/**
 * The kafkajs options for the settings, reading the files they name with `readFile`
 * (the service's, once at start-up). Certificates are always verified: there is no
 * setting to turn that off, so configured TLS never degrades to encryption without
 * knowing whom to.
 */
export function kafkaSecurity(
  s: KafkaSecuritySettings,
  readFile: (path: string) => string,
): KafkaSecurity {
  const read = (name: keyof KafkaSecuritySettings) => {
    const path = s[name] as string;
    try {
      return readFile(path);
    } catch (error) {
      throw new KafkaSecurityError(
        `${name}: cannot read ${path} (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  };
  const out: KafkaSecurity = {};
  if (s.KAFKA_TLS)
    out.ssl = {
      rejectUnauthorized: true,
      ...(s.KAFKA_TLS_CA_FILE ? { ca: read('KAFKA_TLS_CA_FILE') } : {}),
      ...(s.KAFKA_TLS_CERT_FILE && s.KAFKA_TLS_KEY_FILE
        ? { cert: read('KAFKA_TLS_CERT_FILE'), key: read('KAFKA_TLS_KEY_FILE') }
        : {}),
    };
  if (s.KAFKA_SASL_MECHANISM && s.KAFKA_SASL_USERNAME)
    out.sasl = {
      mechanism: s.KAFKA_SASL_MECHANISM,
      username: s.KAFKA_SASL_USERNAME,
      // A file written by hand usually ends with a newline that is not the password's.
      password: s.KAFKA_SASL_PASSWORD ?? read('KAFKA_SASL_PASSWORD_FILE').replace(/\r?\n$/, ''),
    } as NonNullable<KafkaSecurity['sasl']>;
  return out;
}

/** A file the Kafka security settings name could not be read. */
export class KafkaSecurityError extends Error {
  override readonly name = 'KafkaSecurityError';
}

/** How the connection is secured, for start-up logs (never a secret). */
export function describeKafkaSecurity(s: KafkaSecuritySettings): string {
  const tls = s.KAFKA_TLS
    ? `TLS${s.KAFKA_TLS_CERT_FILE ? ' with a client certificate' : ''}`
    : 'plaintext';
  return s.KAFKA_SASL_MECHANISM
    ? `${tls}, SASL ${s.KAFKA_SASL_MECHANISM.toUpperCase()} as ${s.KAFKA_SASL_USERNAME}`
    : tls;
}
