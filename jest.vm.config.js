/**
 * The first-boot VM suite (`npm run test:vm`): boots the rendered cloud-init in QEMU. Slow
 * (about 10 minutes, 25 at most on 2 cores) and needs root, so `npm test` leaves it out.
 */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/vm/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: true }] },
  // Per test and hook; the boots set their own, longer hook timeouts.
  testTimeout: 30 * 60_000,
  // One process: the suite owns QEMU processes and a network namespace, and cleans them up
  // from its own signal handlers.
  maxWorkers: 1,
  verbose: true,
};
