/** Jest runs the TypeScript sources directly through ts-jest (type-checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  // The workspace packages run from their sources, as tsconfig.json's `paths` say.
  moduleNameMapper: {
    '^@trailwatch/client$': '<rootDir>/packages/client/src/index.ts',
    '^@trailwatch/client/contract$': '<rootDir>/packages/client/src/contract.ts',
    '^@trailwatch/client/errors$': '<rootDir>/packages/client/src/errors.ts',
    '^@trailwatch/client/services$': '<rootDir>/packages/client/src/services.ts',
  },
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
