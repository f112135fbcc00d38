// Builds the micado CLI into dist/bin as ESM chunks: one bundle loads in far less time
// than hundreds of modules resolved one by one (status: ~0.36 s instead of ~0.46 s),
// and splitting keeps each command's action loaded only when it runs.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/bin/micado.ts'],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // ssh2 ships a native addon (and cpu-features is its optional one): left to node_modules.
  external: ['ssh2', 'cpu-features'],
  // Bundled CommonJS dependencies call require(); give ESM output one.
  banner: {
    js: "import { createRequire as micadoRequire } from 'node:module'; const require = micadoRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
