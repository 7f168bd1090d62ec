// @ts-check
import tseslint from 'typescript-eslint';

/**
 * The engine, the plant simulator and everything they import must stay pure: no Electron, no OPC UA,
 * no file system, no network and no wall clock. Time comes from an injected clock, so that a replay is
 * reproducible bit for bit and a test can leap time instead of sleeping.
 */
const pureLayerRules = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'electron', message: 'The engine is pure: no Electron here.' },
        { name: 'node-opcua', message: 'Protocols live in src-main/connectors, behind interfaces.' },
        { name: 'fs', message: 'The engine does no I/O: pass text or data in.' },
        { name: 'node:fs', message: 'The engine does no I/O: pass text or data in.' },
        { name: 'fs/promises', message: 'The engine does no I/O: pass text or data in.' },
        { name: 'node:fs/promises', message: 'The engine does no I/O: pass text or data in.' },
        { name: 'http', message: 'The engine does no I/O.' },
        { name: 'node:http', message: 'The engine does no I/O.' },
        { name: 'net', message: 'The engine does no I/O.' },
        { name: 'node:net', message: 'The engine does no I/O.' },
        { name: 'child_process', message: 'The engine does no I/O.' },
        { name: 'node:child_process', message: 'The engine does no I/O.' },
      ],
      patterns: [
        { group: ['node-opcua*', 'electron*', 'better-sqlite3'], message: 'Not in the pure engine.' },
        { group: ['**/node/**', '**/connectors/**', '**/main/**', '**/cli/**'], message: 'The engine may not import the I/O layers above it.' },
      ],
    },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Use the injected clock, not Date.now().' },
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use the injected clock, not new Date().' },
    { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'Use the injected clock.' },
    { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'Draw from the seeded generator, never Math.random().' },
    { selector: "CallExpression[callee.name='setTimeout']", message: 'Timers come from the injected clock.' },
    { selector: "CallExpression[callee.name='setInterval']", message: 'Timers come from the injected clock.' },
  ],
  'no-restricted-globals': ['error', { name: 'process', message: 'The engine does not read the process environment.' }],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'bench/results/**', 'test-results/**', '**/*.vue'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['src-main/engine/**/*.ts', 'src-main/sim/**/*.ts', 'src-main/shared/**/*.ts'], rules: pureLayerRules },
);
