import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // dockerode is imported in src/swarm only: nothing else may talk to the engine directly.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'dockerode', message: 'use src/swarm' }] },
      ],
    },
  },
  {
    files: ['src/swarm/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // micado's labels are named in src/swarm/labels.ts only (and the generic resources
    // nodes advertise in capacity.ts): a literal elsewhere would be a second home.
    // micado.db and micado.js are file names, not labels.
    files: ['src/**/*.ts'],
    ignores: [
      'src/swarm/labels.ts',
      'src/swarm/capacity.ts',
      '**/*.test.ts',
      'src/store/store.contract.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/^(node\\.labels\\.)?micado\\.(?!db$|js$)/]',
          message: 'name micado labels in src/swarm/labels.ts',
        },
        {
          selector: 'TemplateElement[value.raw=/(^|\\.)micado\\.[a-z]/]',
          message: 'name micado labels in src/swarm/labels.ts',
        },
      ],
    },
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
