import { describe, expect, it } from '@jest/globals';
import {
  KafkaSecurityError,
  describeKafkaSecurity,
  kafkaSecurity,
  kafkaSecurityIssues,
  kafkaSecuritySettings,
  type KafkaSecuritySettings,
} from '@rediclaim/core';
import { z } from 'zod';

const parse = (env: Record<string, string>): KafkaSecuritySettings =>
  z.object(kafkaSecuritySettings).parse(env);
const issuesOf = (env: Record<string, string>) =>
  kafkaSecurityIssues(parse(env)).map((i) => `${i.path}: ${i.message}`);
const files: Record<string, string> = {
  '/ca.pem': 'CA PEM',
  '/cert.pem': 'CERT PEM',
  '/key.pem': 'KEY PEM',
  '/password': 's3cret\n',
};
const readFile = (path: string) => {
  const content = files[path];
  if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return content;
};

describe('Kafka security settings', () => {
  it('are plaintext and accept nothing more by default', () => {
    const s = parse({});
    expect(kafkaSecurityIssues(s)).toEqual([]);
    expect(kafkaSecurity(s, readFile)).toEqual({});
    expect(describeKafkaSecurity(s)).toBe('plaintext');
  });

  it('verify the brokers against the CA and log in with SCRAM-SHA-512 from a password file', () => {
    const s = parse({
      KAFKA_TLS: 'true',
      KAFKA_TLS_CA_FILE: '/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'rediclaim',
      KAFKA_SASL_PASSWORD_FILE: '/password',
    });
    expect(kafkaSecurityIssues(s)).toEqual([]);
    expect(kafkaSecurity(s, readFile)).toEqual({
      ssl: { rejectUnauthorized: true, ca: 'CA PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'rediclaim', password: 's3cret' },
    });
    expect(describeKafkaSecurity(s)).toBe('TLS, SASL SCRAM-SHA-512 as rediclaim');
  });

  it('take a client certificate for mutual TLS, and a password from the environment', () => {
    const s = parse({
      KAFKA_TLS: 'true',
      KAFKA_TLS_CERT_FILE: '/cert.pem',
      KAFKA_TLS_KEY_FILE: '/key.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'from-a-secret',
    });
    expect(kafkaSecurity(s, readFile)).toEqual({
      ssl: { rejectUnauthorized: true, cert: 'CERT PEM', key: 'KEY PEM' },
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'from-a-secret' },
    });
    expect(describeKafkaSecurity(s)).toBe('TLS with a client certificate, SASL SCRAM-SHA-256 as u');
  });

  it('refuse what would not do what it says: TLS files without TLS, PLAIN in clear, SASL half given', () => {
    expect(issuesOf({ KAFKA_TLS_CA_FILE: '/ca.pem' })).toEqual([
      'KAFKA_TLS_CA_FILE: only means something with KAFKA_TLS=true',
    ]);
    expect(
      issuesOf({
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toEqual([
      'KAFKA_SASL_MECHANISM: plain sends the password as it is: use it only with KAFKA_TLS=true',
    ]);
    expect(issuesOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([
      'KAFKA_SASL_USERNAME: is required with SASL',
      'KAFKA_SASL_PASSWORD: SASL needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE',
    ]);
    expect(issuesOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      'KAFKA_SASL_MECHANISM: is required with a SASL username or password (scram-sha-512, scram-sha-256 or plain)',
    ]);
    expect(
      issuesOf({
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: '/password',
      }),
    ).toEqual([
      'KAFKA_SASL_PASSWORD_FILE: give KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    ]);
    expect(issuesOf({ KAFKA_TLS: 'true', KAFKA_TLS_CERT_FILE: '/cert.pem' })).toEqual([
      'KAFKA_TLS_KEY_FILE: a client certificate needs its key, and a key its certificate',
    ]);
    expect(() => parse({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow();
  });

  it('name the setting and the path of a file it cannot read', () => {
    const s = parse({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/missing.pem' });
    expect(() => kafkaSecurity(s, readFile)).toThrow(KafkaSecurityError);
    expect(() => kafkaSecurity(s, readFile)).toThrow(
      "KAFKA_TLS_CA_FILE: cannot read /missing.pem (ENOENT: no such file or directory, open '/missing.pem')",
    );
  });
});
