import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The browser UI (ui/tsconfig.json): browser globals, not Node's.
    files: ['ui/**/*.{ts,tsx,js}'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Layers (docs/architecture.md): routes and commands see services only. The composition root
    // (src/deps.ts) is the one place that builds repositories and hands services to them.
    files: ['src/http/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/db/*', '**/db/**'],
              message:
                'src/http and src/cli see services only: take what you need from src/deps.ts (Services).',
            },
          ],
        },
      ],
    },
  },
)
