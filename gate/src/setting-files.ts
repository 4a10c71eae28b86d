import { readFileSync } from 'node:fs';
import { settingFiles } from '@rediclaim/core';

export type { PemCertificates, PemPrivateKey } from '@rediclaim/core';

/** The gate's settings that name files (TLS material, passwords), read from its disk. */
export const { pemCertificatesFile, pemPrivateKeyFile, secretFile } = settingFiles((path) =>
  readFileSync(path, 'utf8'),
);
