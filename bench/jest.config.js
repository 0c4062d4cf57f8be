// The root jest config's roots leave bench/ out, so the bench's test runs with this config:
//   npx jest -c bench/jest.config.js
const path = require('node:path');
const root = require('../jest.config.js');
const integration = root.projects.find((p) => p.displayName === 'integration');

module.exports = {
  ...integration,
  displayName: 'bench',
  rootDir: path.resolve(__dirname, '..'),
  roots: ['<rootDir>/bench'],
  testMatch: ['**/*.int-spec.ts', '**/*.spec.ts'],
  testTimeout: 120_000,
};
