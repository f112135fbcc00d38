// Builds the micado CLI into dist/bin as ESM chunks: one bundle loads in far less time
// than hundreds of modules resolved one by one, and splitting keeps each command's
// action loaded only when it runs.
import { build } from 'esbuild';
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Modules of the engine client that micado never calls, swapped for shims that refuse
 * loudly (scripts/bundle/): they cost every command most of its start-up.
 */
const SHIMS = [
  { importer: '/dockerode/lib/', request: './session', shim: 'dockerode-session.cjs' },
  { importer: '/docker-modem/lib/', request: './ssh', shim: 'docker-modem-ssh.cjs' },
];

const withoutUnusedTransports = {
  name: 'without-unused-transports',
  setup(build) {
    build.onResolve({ filter: /^\.\/(session|ssh)$/ }, (args) => {
      const match = SHIMS.find(
        (s) => args.importer.includes(s.importer) && args.path === s.request,
      );
      if (!match) return undefined;
      return { path: fileURLToPath(new URL(`./bundle/${match.shim}`, import.meta.url)) };
    });
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/bin/micado.ts', 'src/bin/cloudbroker-emulator.ts'],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // Bundled CommonJS dependencies call require(); give ESM output one.
  banner: {
    js: "import { createRequire as micadoRequire } from 'node:module'; const require = micadoRequire(import.meta.url);",
  },
  plugins: [withoutUnusedTransports],
  // A native addon, and a client whose optional native extras esbuild cannot resolve:
  // both load from node_modules, and only when the store they serve is opened.
  external: ['better-sqlite3', 'mongodb'],
  logLevel: 'warning',
});

// The proxy's route agent stands alone (the proxy package carries it, without micado):
// one file, nothing split off.
await build({
  entryPoints: ['src/bin/route-agent.ts'],
  outfile: 'dist/route-agent/route-agent.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: {
    js: "import { createRequire as micadoRequire } from 'node:module'; const require = micadoRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// The dashboard's page: one script and one style sheet (uPlot's within), served by the
// manager itself, so an open page needs no network but the manager's.
await build({
  entryPoints: ['src/dashboard/page/app.ts'],
  outdir: 'dist/dashboard',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  logLevel: 'warning',
});
copyFileSync('src/dashboard/page/index.html', 'dist/dashboard/index.html');
