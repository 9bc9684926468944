// Type-checked typescript-eslint rules: the ones that catch real bugs in async Node code
// (floating promises above all) need type information, so we pay for it.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.build/',
      '.tools/',
      '.venv/',
      '.data/',
      'artifacts/',
      'bench/results/',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: ['**/*.test.ts', '**/*-contract.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Browser scripts served as-is: not part of the TypeScript project.
    files: ['eslint.config.js', 'src/web/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The product loads the Kubernetes client as one pre-built file (`#kubernetes-client`,
    // src/kubernetes/client/client-node.ts says why); the package itself only for its types.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/kubernetes/client/client-node.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@kubernetes/client-node',
              message: "Import from '#kubernetes-client' (one pre-built file, loaded fast).",
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/web/static/**/*.js'],
    languageOptions: {
      globals: { document: 'readonly', window: 'readonly', EventSource: 'readonly' },
    },
  },
);
