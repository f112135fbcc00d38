import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// micado's labels are named in src/swarm/labels.ts only (the generic resources nodes
// advertise in capacity.ts): a literal elsewhere would be a second home. micado.db and
// micado.js are file names, not labels.
const LABEL_LITERAL = {
  selector:
    'Literal[value=/^(node\\.labels\\.)?micado\\.(?!db$|js$)/], TemplateElement[value.raw=/(^|\\.)micado\\.[a-z]/]',
  message: 'name micado labels in src/swarm/labels.ts',
};
// The registry's HTTP API (/v2/) is spoken in cluster/registry-api.ts only.
const REGISTRY_API = {
  selector: 'Literal[value=/\\/v2\\//], TemplateElement[value.raw=/\\/v2\\//]',
  message: "speak the registry's API in src/cluster/registry-api.ts",
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Each outside library has one home: dockerode in src/swarm (nothing else talks to
      // the engine directly), node-cron in host/cron-schedule.ts, the consul client in
      // discovery/consul-client.ts.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'dockerode', message: 'use src/swarm' },
            { name: 'node-cron', message: 'use src/host/cron-schedule.ts' },
            { name: 'consul', message: 'use src/discovery/consul-client.ts' },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/swarm/**',
      'src/host/cron-schedule.ts',
      'src/discovery/consul-client.ts',
      '**/*.test.ts',
      'test/**',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
  // Vocabulary with one home each, checked in src (tests name them freely):
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', LABEL_LITERAL, REGISTRY_API] },
  },
  {
    files: ['src/swarm/labels.ts', 'src/swarm/capacity.ts', 'src/store/store.contract.ts'],
    rules: { 'no-restricted-syntax': ['error', REGISTRY_API] },
  },
  {
    files: ['src/cluster/registry-api.ts'],
    rules: { 'no-restricted-syntax': ['error', LABEL_LITERAL] },
  },
  {
    files: ['scripts/**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['scripts/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
