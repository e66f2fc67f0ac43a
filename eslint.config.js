import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'oclif.manifest.json', 'release/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', performance: 'readonly', structuredClone: 'readonly', setInterval: 'readonly', clearInterval: 'readonly'}},
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-await-in-loop': 'off',
    },
  },
  {
    // client-node is a build-time (dev) dependency: the build bundles it into dist/lib/cluster/client-node*.cjs,
    // so the installed package has no node_modules/@kubernetes. Import it through lib/cluster/client-node-light.js
    // (kubeconfig, HTTP client) or lib/cluster/client-node.js (API classes, Watch).
    files: ['src/**/*.ts'],
    ignores: ['src/lib/cluster/client-node.ts', 'src/lib/cluster/client-node-light.ts'],
    rules: {'no-restricted-imports': ['error', {paths: [{name: '@kubernetes/client-node', message: 'Import from src/lib/cluster/client-node-light.ts or client-node.ts (bundled at build time); add the name there.'}]}]},
  },
)
