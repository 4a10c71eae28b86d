import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '.rediclaim/**',
      'hack/kafka/target/**',
      'gate/public/vendor/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  {
    // The gate's waiting-room page: plain ES modules run by browsers.
    files: ['gate/public/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        AbortController: 'readonly',
        URLSearchParams: 'readonly',
        TextDecoder: 'readonly',
      },
    },
  },
  {
    // core is the shared kernel: schemas and pure policies, no I/O. It may not reach for
    // a network, a file, a process or a clock-driven client, nor for any service.
    files: ['core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'ioredis',
                'kafkajs',
                'typeorm',
                'mysql2',
                'mysql2/*',
                'fastify',
                '@fastify/*',
                '@kubernetes/client-node',
                'pino',
                'prom-client',
                'undici',
                'node:fs',
                'node:fs/*',
                'node:net',
                'node:http',
                'node:https',
                'node:child_process',
                'node:dns',
                'node:dgram',
                'node:worker_threads',
              ],
              message: 'core holds no I/O: put this in the service that does it.',
            },
            {
              group: ['@rediclaim/*'],
              message: 'core depends on no other package; they depend on it.',
            },
          ],
        },
      ],
    },
  },
  {
    // The operator's controller machinery is generic: it knows nothing of CouponEvents.
    files: ['operator/src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@rediclaim/*', '../reconcilers/*', '../*.js'],
              message:
                'runtime/ is the generic controller machinery: no domain imports (reconcilers and core are above it).',
            },
          ],
        },
      ],
    },
  },
  {
    // Services depend on core, never on each other.
    files: ['gate/src/**/*.ts', 'issuer/src/**/*.ts', 'operator/src/**/*.ts'],
    ignores: ['operator/src/runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@rediclaim/gate',
                '@rediclaim/issuer',
                '@rediclaim/operator',
                '@rediclaim/hack',
                '@rediclaim/hack/*',
              ],
              message: 'a service imports only @rediclaim/core, never another service or hack.',
            },
          ],
        },
      ],
    },
  },
  {
    // The issuer's decisions are pure: what to grant, in which order, for which policy.
    files: ['issuer/src/decisions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['typeorm', 'mysql2', 'mysql2/*', 'kafkajs', '../db/*', '../kafka/*'],
              message: 'decisions hold no SQL and no Kafka: those live in db/ and kafka/.',
            },
          ],
        },
      ],
    },
  },
);
