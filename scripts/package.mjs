// Writes the packages for cloud images as tarballs, dist/packages/micado-ROLE-VERSION.tar.gz,
// each holding ROLE/: the package's own files (deploy.sh bakes the image, execute.sh
// boots it), the shared scripts (the installer deploy.sh uses, the service units'
// helpers), and what each boots with: the proxy carries the node's execute.sh and what
// its engine's service runs (it joins as a node does), the manager carries micado
// itself (the build, with the production dependencies the build leaves outside it,
// and the Node.js ABI its native store was built for). The manager and the proxy carry
// the Node.js runtime they were built and tested with (runtime/node: this one), so a
// VM needs no Node.js of its own: Debian 12 ships 18, and micado needs 20.
import {
  chmodSync,
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-fs';

process.chdir(new URL('..', import.meta.url).pathname);
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const STAGE = 'dist/packages/stage';
/** Left outside the build (scripts/build.mjs): loaded from node_modules at run time. */
const EXTERNAL = ['better-sqlite3', 'mongodb'];
/** Dependencies only an install runs (the addon is packed built): not followed. */
const INSTALL_ONLY = new Set(['prebuild-install']);

/** Where `name` resolves from `from`, as Node.js looks for it: up the node_modules. */
function packageDir(name, from) {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** `name` and everything it depends on (optional ones when installed), as directories. */
function withDependencies(name, from, found = new Set()) {
  const dir = packageDir(name, from);
  if (!dir) throw new Error(`${name} is not installed: run npm install`);
  if (found.has(dir)) return found;
  found.add(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(manifest.dependencies ?? {})) {
    if (!INSTALL_ONLY.has(dependency)) withDependencies(dependency, dir, found);
  }
  for (const optional of Object.keys(manifest.optionalDependencies ?? {})) {
    if (packageDir(optional, dir)) withDependencies(optional, dir, found);
  }
  return found;
}

function stageManager(dir) {
  const app = join(dir, 'micado');
  cpSync('dist/bin', join(app, 'dist/bin'), {
    recursive: true,
    filter: (file) => !file.endsWith('.map'),
  });
  // The dashboard's page, which the manager serves beside dist/bin.
  cpSync('dist/dashboard', join(app, 'dist/dashboard'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'micado', version, type: 'module', private: true }, null, 2),
  );
  const dependencies = new Set();
  for (const name of EXTERNAL) withDependencies(name, '.', dependencies);
  for (const source of dependencies) {
    cpSync(source, join(app, relative('.', source)), {
      recursive: true,
      // The native addon's sources and build leftovers: only its compiled module runs.
      filter: (file) => !/better-sqlite3\/(deps|src)(\/|$)|\/build\/Release\/obj/.test(file),
    });
  }
  writeFileSync(join(app, 'NODE_ABI'), `${process.versions.modules}\n`);
}

/** The Node.js running this script, which built and tested micado: one binary. */
function stageRuntime(dir) {
  mkdirSync(join(dir, 'runtime'), { recursive: true });
  cpSync(process.execPath, join(dir, 'runtime/node'));
  chmodSync(join(dir, 'runtime/node'), 0o755);
  writeFileSync(join(dir, 'runtime/VERSION'), `${process.version}\n`);
}

const EXTRAS = {
  manager: (dir) => {
    stageManager(dir);
    stageRuntime(dir);
  },
  node: () => undefined,
  proxy: (dir) => {
    cpSync('packages/node/execute.sh', join(dir, 'node-execute.sh'));
    // What the node's engine service runs before each start (beside the boot script).
    cpSync('packages/node/isolate-bridges.sh', join(dir, 'isolate-bridges.sh'));
    cpSync('dist/route-agent/route-agent.js', join(dir, 'route-agent.js'));
    stageRuntime(dir);
  },
};

rmSync(STAGE, { recursive: true, force: true });
for (const [role, extra] of Object.entries(EXTRAS)) {
  const dir = join(STAGE, role);
  mkdirSync(dir, { recursive: true });
  cpSync(join('packages', role), dir, { recursive: true });
  cpSync('packages/common', dir, { recursive: true });
  extra(dir);
  const file = `dist/packages/micado-${role}-${version}.tar.gz`;
  // Owned by root in the image whoever packs it; modes (executables) kept.
  const source = tar.pack(STAGE, {
    entries: [role],
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: 'root', gname: 'root' }),
  });
  await pipeline(source, createGzip(), createWriteStream(file));
  console.log(file);
}
rmSync(STAGE, { recursive: true, force: true });
