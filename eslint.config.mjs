import tseslint from 'typescript-eslint';

// `import { z } from 'zod'` is the whole of zod as one object, which esbuild cannot trim: it puts every
// zod locale into the Lambda bundle (about 370 KB of its 1.4 MB). The namespace import lets esbuild keep
// only what is used.
const ZOD_NAMED_IMPORT = {
  selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
  message: "Use `import * as z from 'zod'`: the named `z` takes all of zod (every locale) into the bundle.",
};

/**
 * A layer below the entry points: what it may not import, and no `process.env` (configuration is read
 * once, at the edge, and handed in).
 */
const layer = (files, restrictedImports) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', restrictedImports],
    'no-restricted-properties': ['error', { object: 'process', property: 'env' }],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '**/dist/**',
      'cdk.out/**',
      '.trailwatch/**',
      'coverage/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The client package is bundled into the Lambda and the CLI as well.
    files: ['lambdas/**/*.ts', 'packages/*/src/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ZOD_NAMED_IMPORT] },
  },
  // The pure core must never reach AWS or the environment.
  layer(['lambdas/core/**/*.ts'], {
    // The client package's root entry carries the SDK; its `/contract` and `/services` entries are pure.
    paths: [
      {
        name: '@trailwatch/client',
        message: "core may import '@trailwatch/client/contract' or '@trailwatch/client/services' only",
      },
    ],
    patterns: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', '../adapters/*', '**/adapters/**'],
  }),
  // Adapters talk to AWS for the core; they know nothing of who composes them.
  layer(['lambdas/adapters/**/*.ts'], {
    patterns: ['**/app/**', '**/ingest/**', '**/cli/**', '**/local/**', 'aws-cdk-lib', 'aws-cdk-lib/*'],
  }),
  // The shared orchestration: composed from configuration it is given, never from the environment,
  // and used by the Lambda and the CLI alike, so it imports neither (the Lambda's folder included).
  layer(['lambdas/app/**/*.ts'], {
    patterns: ['**/cli/**', '**/local/**', '**/lib/**', 'aws-cdk-lib', 'aws-cdk-lib/*', '**/ingest/**'],
  }),
);
