/** @type {import('jest').Config} */
const tsJest = [
  'ts-jest',
  { tsconfig: { module: 'commonjs', moduleResolution: 'node', isolatedModules: true } },
];
module.exports = {
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  projects: [
    {
      displayName: 'spec',
      testEnvironment: 'node',
      roots: ['<rootDir>/spec'],
      testMatch: ['**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'marble',
      testEnvironment: 'node',
      roots: ['<rootDir>/marble-tests'],
      testMatch: ['**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
  ],
};
