/** Unit, snapshot and system tests. The VM suite has its own config (jest.vm.config.js). */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.test.ts', '<rootDir>/test/*.test.ts'],
  // ts-jest type-checks each test file; isolatedModules would skip that.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: true }] },
};
