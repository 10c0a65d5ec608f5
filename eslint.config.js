// Lint with the process boundaries enforced (STYLE.md §1):
// - core and the repo's shared/ never import electron;
// - shared/ and renderer/ never import Node built-ins or electron/;
// - only electron/main/ may import 'electron'.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'dist-electron',
      'release',
      'test-results',
      'playwright-report',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['electron/**/*.ts', 'bin/**', 'bench/**', 'test/**'],
    ignores: ['electron/main/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only electron/main/ may import electron (DESIGN.md: core is plain Node).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'shared/ runs in main and renderer: no electron.' },
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'shared/ runs in the renderer too: no Node built-ins.',
            })),
          ],
          patterns: [
            {
              group: ['**/electron/**', '../electron/*'],
              message: 'shared/ must not import from electron/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer talks to main only through the api module.',
            },
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'The renderer never touches Node built-ins.',
            })),
          ],
          patterns: [
            {
              group: ['**/electron/**', '../electron/*', '../../electron/*'],
              message: 'renderer/ must not import from electron/.',
            },
          ],
        },
      ],
    },
  },
);
