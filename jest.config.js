// One Jest run for the whole tree, in Node's native ESM mode: @kubernetes/client-node
// is ESM-only, and transpiling it back to CommonJS is the road that fails
// ("Unexpected token 'export'"). SWC strips types only; `tsc -b` type-checks.
/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2023',
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    // Tests run the sources of sibling packages, not their last build.
    '^@rediclaim/(core|gate|issuer|operator)$': '<rootDir>/$1/src/index.ts',
    '^@rediclaim/hack/(.*)$': '<rootDir>/hack/src/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  roots: [
    '<rootDir>/core',
    '<rootDir>/gate',
    '<rootDir>/issuer',
    '<rootDir>/operator',
    '<rootDir>/hack',
  ],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/hack/jest/global-setup.js',
  testTimeout: 60_000,
  slowTestThreshold: 30,
};
