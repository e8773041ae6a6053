import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'test-output/**',
      'web/dist/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read the environment only in src/config.',
        },
      ],
    },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src/domain/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'node:*',
            '../adapters/*',
            '../app/*',
            'fastify',
            'pino',
            'better-sqlite3',
            'ioredis',
          ],
        },
      ],
    },
  },
  {
    // Dependencies point inward: the use cases never reach for an edge.
    files: ['src/app/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/adapters/*', '**/composition-root.js'] }],
    },
  },
  {
    // The media layer is pure (codecs, frames, resampling): no I/O, no logger, no edges, so the
    // receive path can run in worker threads. Native codec libraries live in src/adapters/codecs.
    files: ['src/media/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '**/adapters/*', '**/app/*', '**/ports/*', 'pino', 'koffi'] },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], languageOptions: { globals: { ...globals.node } } },
);
