/**
 * Swarm's own users: the compose file in docs/stacks deployed with Debian's `docker`
 * CLI (`docker stack deploy`, with the registry's pull account) against the manager's
 * engine. micado starts nodes for its tasks, keeps its replicas within the policy of
 * its labels, lists it as a stack's, serves its domain through a proxy (curl checks),
 * refuses to remove one service of it, and gives its nodes back after `docker stack rm`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, eventually, run, type CliResult } from './support/test-cluster.js';

const COMPOSE = join(import.meta.dirname, '../docs/stacks/shop.yml');

describe("Swarm's own users: a stack deployed with docker stack deploy", () => {
  const cluster = new TestCluster();
  const dockerConfig = mkdtempSync(join(tmpdir(), 'micado-docker-config-'));
  let proxy = '';

  /** Debian's docker CLI against the manager's engine, with a config dir of the test's own. */
  const docker = (args: string[], input?: string, env: NodeJS.ProcessEnv = {}) =>
    new Promise<CliResult>((resolve) => {
      const engine = `unix://${join(cluster.config.stateDir, 'manager', 'docker.sock')}`;
      execFile('docker', ['--config', dockerConfig, '-H', engine, ...args], { env: { ...process.env, ...env }, timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      ).stdin?.end(input ?? ''); // prettier-ignore
    });
  const containers = async () =>
    JSON.parse((await cluster.micado('list', '-c', '--json')).stdout).containers as { name: string; origin: string; client: string; domain?: string; replicas: { desired: number; running: number } }[]; // prettier-ignore
  const instances = async () =>
    JSON.parse((await cluster.micado('list', '-i', '--json')).stdout).instances as { instance: string; pool?: string }[]; // prettier-ignore
  const ask = async () => {
    const answer = await run('curl', ['-s', '-m', '5', '-H', 'Host: shop.example', '-w', ' %{http_code}', `http://${proxy}/`]);
    return answer.stdout;
  }; // prettier-ignore

  beforeAll(async () => {
    cluster.configure({
      pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 4 } },
      autoscaler: { scanIntervalMs: 500, scaleDownUnneededMs: 2000, scaleDownDelayAfterUpMs: 0, scaleDownCooldownMs: 0, drainTimeoutMs: 10_000, replicaCooldownMs: 1000 },
      monitor: { schedule: '* * * * * *' },
    }); // prettier-ignore
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
    const started = await cluster.micado('start', '-n', 'proxy', '-f', 'small', '-t', 'proxy01', '--json'); // prettier-ignore
    expect(started.code, started.stderr).toBe(0);
    proxy = (JSON.parse(started.stdout) as { instance: { address: string } }).instance.address;
    // The registry's pull account, as README tells an operator to log in with it.
    const { pull } = JSON.parse(readFileSync(join(cluster.config.stateDir, 'registry', 'accounts.json'), 'utf8')); // prettier-ignore
    const login = await docker(['login', cluster.layout.registry, '-u', pull.username, '--password-stdin'], pull.password); // prettier-ignore
    expect(login.code, login.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await cluster.destroy();
    rmSync(dockerConfig, { recursive: true, force: true });
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('starts nodes for its tasks, keeps its replicas within its labels, and serves its domain', async () => {
    const deploy = await docker(['stack', 'deploy', '--with-registry-auth', '-c', COMPOSE, 'shop'], undefined, { MICADO_REGISTRY: cluster.layout.registry }); // prettier-ignore
    expect(deploy.code, deploy.stderr).toBe(0);
    // The file asks 1 replica, its policy at least 2: micado raises it, and a 300 MB
    // replica on 512 MB nodes needs a node each.
    await eventually(async () => {
      const web = (await containers()).find((c) => c.name === 'shop_web');
      return web?.replicas.running === 2 ? web : undefined;
    }, 90_000).catch(async (err: Error) => {
      const tasks = await docker(['service', 'ps', '--no-trunc', '--format', '{{.Name}} {{.DesiredState}} {{.CurrentState}} {{.Node}} {{.Error}}', 'shop_web']); // prettier-ignore
      throw new Error(
        `${err.message}: tasks ${tasks.stdout}${tasks.stderr}; events ${(await cluster.micado('events')).stdout}`,
      );
    });
    const autoscaled = (await instances()).filter((i) => i.pool === 'default');
    expect(autoscaled, (await cluster.micado('events')).stdout).toHaveLength(2);
    // micado's list and Docker's own agree.
    const [web] = (await containers()).filter((c) => c.name === 'shop_web');
    expect(web).toMatchObject({ origin: 'stack shop', client: 'acme', domain: 'shop.example', replicas: { desired: 2, running: 2 } }); // prettier-ignore
    const ls = await docker(['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    expect(ls.stdout.trim()).toBe('shop_web 2/2');
    // info, the catalog and the dashboard's feed say where it came from too.
    expect((await cluster.micado('info', '-s', 'shop_web')).stdout).toMatch(/^ {2}origin +stack shop, client acme$/m); // prettier-ignore
    const catalog = JSON.parse((await cluster.micado('services', '--json')).stdout) as { services: { name: string; origin: string }[] }; // prettier-ignore
    expect(catalog.services).toContainEqual(expect.objectContaining({ name: 'shop_web', origin: 'stack shop' })); // prettier-ignore
    // Both replicas answer at the domain, through the proxy.
    const served = new Set<string>();
    await eventually(async () => {
      const answer = await ask();
      if (answer.endsWith(' 200')) served.add(answer);
      return served.size === 2 || undefined;
    }, 30_000);
    // What changes a container works on it by its service name.
    const execute = await cluster.micado('execute', '-n', 'shop_web', '-c', 'cat /www/index.html');
    expect(execute.code, execute.stderr).toBe(0);
    expect([...served].map((s) => s.replace(/ 200$/, '').trim())).toContain(execute.stdout.trim());
  }, 150_000);

  it('follows its load by its labels: its owner lowers the min with docker service update, and an idle replica goes', async () => {
    // Each replica uses well under 20% of what it reserves: only the min held two.
    const update = await docker(['service', 'update', '--detach', '--label-add', 'micado.policy.min=1', 'shop_web']); // prettier-ignore
    expect(update.code, update.stderr).toBe(0);
    await eventually(async () => {
      const web = (await containers()).find((c) => c.name === 'shop_web');
      return web?.replicas.desired === 1 && web.replicas.running === 1 ? true : undefined;
    }, 60_000);
    const events = (await cluster.micado('events')).stdout;
    expect(events).toMatch(
      /shop_web: 2 → 1 replicas \(cpu \d+%, memory \d+% of reserved per replica, under 20%\/20%\)/,
    );
    expect((await ask()).endsWith(' 200')).toBe(true);
  }, 90_000);

  it("refuses to remove one service of a stack, in one line naming the stack's own way", async () => {
    const removed = await cluster.micado('remove', '-n', 'shop_web');
    expect([removed.code, removed.stderr.trim()]).toEqual([1, 'micado: shop_web belongs to stack shop: remove the stack with docker stack rm shop']); // prettier-ignore
    expect((await containers()).map((c) => c.name)).toEqual(['shop_web']);
  });

  it('gives its nodes back once the stack is removed with docker stack rm', async () => {
    const rm = await docker(['stack', 'rm', 'shop']);
    expect(rm.code, rm.stderr).toBe(0);
    await eventually(async () => ((await instances()).some((i) => i.pool === 'default') ? undefined : true), 90_000); // prettier-ignore
    expect(await containers()).toEqual([]);
    await eventually(async () => ((await ask()).endsWith(' 404') ? true : undefined), 30_000);
  }, 120_000);
});
