// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers, lowest first, and what each may import of the others (README, "Layout"):
 * config → model → renderers (charts/, node/) ∥ operator/ → cli/ → main.ts. lib/ is below
 * them all. A renderer never imports the operator wing, nor the reverse; both read the model.
 */
const LAYERS = ['lib', 'config', 'model', 'charts', 'node', 'operator', 'cli'];
const MAY_IMPORT = {
  lib: ['lib'],
  config: ['lib', 'config'],
  model: ['lib', 'config', 'model'],
  charts: ['lib', 'config', 'model', 'charts'],
  node: ['lib', 'config', 'model', 'node'],
  operator: ['lib', 'config', 'model', 'operator'],
  cli: LAYERS,
};

/**
 * What the config yields for the operator is derived once, in cli/synth.ts, and handed on as
 * data: the Cloud Firewall's rules (model/cloud-firewall.ts) and each node's build lines
 * (operator/hcloud.ts) reach the summary, the runbooks, the plan and the output directory as
 * values, so each has one route from the config to where it is written (README, "Layout").
 */
const DERIVED_ONCE = {
  group: ['**/cloud-firewall', '**/hcloud'],
  message:
    'the Cloud Firewall rules and the build lines are derived once, in cli/synth.ts, and handed on as data (Derived, RunbookContext.build, planFor): take them as arguments',
};

/** The import specifiers that reach `layer` from anywhere in the tree (one or more `../`). */
const reaching = (layer) => [`../${layer}`, `../${layer}/**`, `**/../${layer}`, `**/../${layer}/**`];

const layerRules = Object.entries(MAY_IMPORT).map(([layer, allowed]) => ({
  files: [`${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...LAYERS.filter((l) => !allowed.includes(l)).map((l) => ({
            group: reaching(l),
            message: `${layer}/ may import only ${allowed.join(', ')} (eslint.config.mjs, LAYERS)`,
          })),
          {
            group: ['**/main', '../main', '**/test/**', '../test/**'],
            message: `${layer}/ must not import main.ts or the tests`,
          },
          ...(layer === 'cli' ? [] : [DERIVED_ONCE]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'imports/**',
      'dist/**',
      'build/**',
      'node_modules/**',
      'vendor/**',
      'coverage/**',
      'test/fixtures/**',
      '.schema/**',
      'crds/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        Buffer: 'readonly',
        setImmediate: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // `require` of the generated JSON and of optional modules.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Tests read loosely typed manifests and parsed files.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // One test harness (test/README.md): a program is run only through test/process.ts, which
    // bounds it with a timeout and kills it on cleanup.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    ignores: ['test/process.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['child_process', 'node:child_process'].map((name) => ({
            name,
            message: 'run programs with test/process.ts (run, mustRun, runAsync, start): argv, a timeout, cleanup',
          })),
        },
      ],
    },
  },
  {
    // The root check is one function, so a system test and the VM suite agree on it.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    ignores: ['test/host.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'getuid', message: 'use isRoot() from test/host.ts' },
      ],
    },
  },
  ...layerRules,
);
