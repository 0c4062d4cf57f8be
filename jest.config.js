// Two projects: `unit` (no infrastructure, *.spec.ts) and `integration` (*.int-spec.ts: real Kafka,
// Postgres and the KeySecure sandbox). scripts/test.mjs starts the infrastructure before running both.
const fs = require('node:fs');
const swcConfig = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcConfig.$schema;

const moduleNameMapper = {
  '^@issuing-bridge/(contracts|keysecure|messaging|platform|provider-client-config|provider-sandbox|uqpay)$': '<rootDir>/libs/$1/src',
  '^@issuing-bridge/(contracts|keysecure|messaging|platform|provider-client-config|provider-sandbox|uqpay)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', swcConfig] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  // jose 6 is ESM-only: let swc turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'].filter((r) =>
    fs.existsSync(r.replace('<rootDir>', __dirname)),
  ),
};

module.exports = {
  // Jest reads testTimeout only at the top level, not per project. Integration tests start processes
  // and wait for a real broker, so they need far more than the 5 s default.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int-spec.ts'],
    },
  ],
};
