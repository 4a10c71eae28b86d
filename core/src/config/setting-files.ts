import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** Reads a file's text; throws as node:fs does (an error with a `code` such as ENOENT). */
export type ReadTextFile = (path: string) => string;

function readSetting(read: ReadTextFile, path: string, ctx: z.RefinementCtx): string | undefined {
  try {
    return read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const message =
      code === 'ENOENT' ? `names no file: ${path} does not exist` : `cannot read ${path} (${code})`;
    ctx.addIssue({ code: 'custom', message });
    return undefined;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface PemCertificates {
  path: string;
  pem: string;
  /** The first certificate of the file (a bundle may hold more). */
  first: X509Certificate;
}

/** A PEM file of one or more certificates (an authority's bundle, a client certificate). */
const pemCertificatesFile = (read: ReadTextFile) => () =>
  z
    .string()
    .min(1)
    .transform((path, ctx): PemCertificates => {
      const pem = readSetting(read, path, ctx);
      if (pem === undefined) return z.NEVER;
      const blocks = pem.match(PEM_CERTIFICATE) ?? [];
      if (blocks.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
        });
        return z.NEVER;
      }
      const certificates: X509Certificate[] = [];
      for (const [i, block] of blocks.entries()) {
        try {
          certificates.push(new X509Certificate(block));
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            message: `certificate ${i + 1} of ${path} cannot be read (${(error as Error).message})`,
          });
          return z.NEVER;
        }
      }
      return { path, pem, first: certificates[0]! };
    });

export interface PemPrivateKey {
  path: string;
  pem: string;
  key: KeyObject;
}

/** A PEM private key without a passphrase. */
const pemPrivateKeyFile = (read: ReadTextFile) => () =>
  z
    .string()
    .min(1)
    .transform((path, ctx): PemPrivateKey => {
      const pem = readSetting(read, path, ctx);
      if (pem === undefined) return z.NEVER;
      try {
        return { path, pem, key: createPrivateKey(pem) };
      } catch (error) {
        // Never the file's text: it is a secret.
        ctx.addIssue({
          code: 'custom',
          message: `${path} is not a PEM private key without a passphrase (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        });
        return z.NEVER;
      }
    });

/**
 * A file holding one secret (a password): the text without its last line break, which
 * `kubectl create secret --from-file` and editors leave in.
 */
const secretFile = (read: ReadTextFile) => () =>
  z
    .string()
    .min(1)
    .transform((path, ctx): string => {
      const text = readSetting(read, path, ctx);
      if (text === undefined) return z.NEVER;
      const secret = text.replace(/\r?\n$/, '');
      if (secret === '') {
        ctx.addIssue({ code: 'custom', message: `${path} is empty` });
        return z.NEVER;
      }
      return secret;
    });

/**
 * Settings that name a file (a Secret mounted into the pod), read once when the settings
 * load, so a missing, unreadable or malformed file is a settings error by variable name
 * at start-up, not a connection that fails later for a reason nobody can see. Core does
 * no I/O: each service gives the reading.
 */
export function settingFiles(read: ReadTextFile) {
  return {
    pemCertificatesFile: pemCertificatesFile(read),
    pemPrivateKeyFile: pemPrivateKeyFile(read),
    secretFile: secretFile(read),
  };
}
