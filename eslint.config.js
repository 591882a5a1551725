import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'dist-offline/', 'node_modules/', 'coverage/', 'screenshots/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  // The dependency rule: the core imports nothing outside itself, the
  // scenarios only the core, and nothing imports the UI.
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['react', 'react-*', 'zustand', 'zustand/*', 'd3', 'd3-*', 'node:*', 'fs', 'path'], message: 'src/core is pure TypeScript.' },
            { group: ['../scenarios/*', '../ui/*', '../cli/*', '../../*'], message: 'src/core imports nothing outside itself.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'setTimeout', 'setInterval', 'performance'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'The core is deterministic.' }, { object: 'Date', property: 'now', message: 'The core is deterministic.' }],
    },
  },
  {
    files: ['src/scenarios/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['react', 'zustand', 'd3', 'node:*', '../ui/*', '../cli/*'], message: 'src/scenarios imports only src/core.' }] },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/ui/**'], message: 'Nothing imports src/ui.' }] }] },
  },
);
