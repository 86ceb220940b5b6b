import tseslint from 'typescript-eslint';

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
    // The pure core must never reach AWS or the environment.
    files: ['lambdas/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // The client package's root entry carries the SDK; its `/contract` entry is pure.
          paths: [
            { name: '@trailwatch/client', message: "core may import '@trailwatch/client/contract' only" },
          ],
          patterns: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', '../adapters/*', '**/adapters/**'],
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env' }],
    },
  },
);
