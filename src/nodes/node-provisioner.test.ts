/**
 * The provisioner's ledger on a fake swarm and a recording cloud, on a fixed clock:
 * each start's intent goes intended -> requested -> joined (or failed), and a manager
 * that starts again finishes, resumes or gives back what the ledger holds open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type MicadoConfig } from '../config/config.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { IntentState, ProvisioningIntent } from '../store/store.js';
import { FakeCloudDriver } from '../testing/fake-cloud-driver.js';
import { FakeSwarm } from '../testing/fake-swarm.js';
import { NodeProvisioner } from './node-provisioner.js';
import { rogueNodes } from './rogue-nodes.js';
import type { SwarmNode } from '../swarm/index.js';

const T0 = Date.UTC(2026, 11, 4, 12);
const TIMEOUT_MS = 600_000;
const POOL = { driver: 'local', flavour: 'small', min: 0, max: 5 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function harness() {
  const dir = mkdtempSync(join(tmpdir(), 'micado-provisioner-'));
  const store = SqliteStore.open(join(dir, 'micado.db'));
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const swarm = new FakeSwarm();
  const cloud = new FakeCloudDriver(swarm);
  const config: MicadoConfig = structuredClone({ ...DEFAULT_CONFIG, stateDir: dir, pools: { default: POOL } }); // prettier-ignore
  config.autoscaler.provisionTimeoutMs = TIMEOUT_MS;
  const clock = { now: T0 };
  const entry = {
    managerAddress: '10.0.0.2:2377', registry: '10.0.0.2:5000', catalog: 'http://10.0.0.1:8500',
    issueTls: async () => ({ ca: 'CA', cert: 'CERT', key: 'KEY' }),
  }; // prettier-ignore
  // The cloud's drivers, counting how often every machine is asked for.
  const asked = { machines: 0 };
  const drivers = { ...cloud.asDrivers(), machines: () => (asked.machines++, cloud.asDrivers().machines()) }; // prettier-ignore
  const provisioner = new NodeProvisioner({ manager: swarm, entry, config, store, now: () => clock.now, drivers }); // prettier-ignore
  const states = async () => (await store.intents()).map((i) => [i.instance, i.state, i.error]);
  return { store, swarm, cloud, clock, provisioner, states, asked };
}

/** An intent a previous manager left open. */
function leftOpen(instance: string, change: Partial<ProvisioningIntent> = {}): ProvisioningIntent {
  return {
    id: `intent-${instance}`, pool: 'default', driver: 'local', cloud: undefined, flavour: 'small',
    instance, state: 'requested', createdAt: T0 - 1000, updatedAt: T0 - 1000, error: undefined, ...change,
  }; // prettier-ignore
}

describe('the provisioner ledger', () => {
  it('records the intent before the driver is called, then requested and joined', async () => {
    const { provisioner, cloud, store, states } = harness();
    cloud.holdJoins = true;
    const { outcome } = await provisioner.request('default', POOL);
    const [intent] = await store.intents();
    expect(provisioner.incoming()).toEqual([{ pool: 'default', instance: intent!.instance, flavour: 'small', warm: false }]); // prettier-ignore
    await new Promise((r) => setImmediate(r));
    expect(cloud.calls).toEqual([`start ${intent!.instance}`]);
    cloud.join({ id: intent!.instance, pool: 'default', flavour: 'small', tag: intent!.instance, labels: {} }); // prettier-ignore
    const result = await outcome;
    expect(result.node?.labels['micado.instance']).toBe(intent!.instance);
    expect(await states()).toEqual([[intent!.instance, 'joined', undefined]]);
    expect(provisioner.incoming()).toEqual([]);
  });

  it('closes the intent of a start that fails, with why', async () => {
    const { provisioner, cloud, states } = harness();
    cloud.failStarts = 1;
    const { outcome } = await provisioner.request('default', POOL);
    const result = await outcome;
    expect(result.error).toMatch(/the cloud refused machine/);
    expect(await states()).toEqual([[result.intent.instance, 'failed', expect.stringMatching(/the cloud refused/)]]); // prettier-ignore
  });

  it.each<[string, Partial<ProvisioningIntent>, 'node' | 'none', IntentState, string[], RegExp | undefined]>([
    ['whose node joined: completed, nothing started', {}, 'node', 'joined', [], undefined],
    ['within its time: resumed with the same id, no second machine', {}, 'none', 'joined', ['start i-left'], undefined],
    ['past its time: given back', { createdAt: T0 - TIMEOUT_MS - 1 }, 'none', 'abandoned', ['stop i-left'], /not Ready within the provisioning timeout/],
    ['of a pool no longer configured: given back', { pool: 'gone' }, 'none', 'abandoned', ['stop i-left'], /pool gone is no longer configured/],
  ])('on restart, an open intent %s', async (_, change, node, state, calls, error) => {
    const { provisioner, cloud, store, states } = harness();
    await store.addIntent(leftOpen('i-left', change));
    if (node === 'node') {
      await cloud.start({ id: 'i-left', pool: 'default', flavour: 'small', tag: 'i-left', labels: {} });
      cloud.calls.length = 0;
    }
    await Promise.all(await provisioner.resumeOpenIntents());
    expect(cloud.calls).toEqual(calls);
    expect(await states()).toEqual([['i-left', state, error ? expect.stringMatching(error) : undefined]]);
    expect(await store.openIntents()).toEqual([]);
  }); // prettier-ignore

  it('gives back a machine no start accounts for once past the timeout, and removes a down node with no machine', async () => {
    const { provisioner, cloud, swarm, clock } = harness();
    await cloud.start({ id: 'i-orphan', pool: 'default', flavour: 'small', tag: 't', labels: {} });
    swarm.nodes.splice(0); // its node never joined
    swarm.join({ id: 'node-x', version: 1, hostname: 'host-x', role: 'worker', state: 'down', availability: 'active', address: '', engineLabels: { 'micado.instance': 'i-gone' }, labels: {}, capacity: {} }); // prettier-ignore
    cloud.calls.length = 0;
    clock.now = Date.parse(cloud.instances.get('i-orphan')!.createdAt) + TIMEOUT_MS - 1;
    expect(await provisioner.sweepOrphans(swarm.nodes)).toEqual(['node host-x had no machine: removed from the swarm']); // prettier-ignore
    clock.now += 2;
    expect(await provisioner.sweepOrphans(swarm.nodes)).toEqual([expect.stringMatching(/^machine i-orphan \(local\) had no node after \d+ s: stopped$/)]); // prettier-ignore
    expect(cloud.calls).toEqual(['stop i-orphan']);
  });
});

describe('rogue nodes', () => {
  const worker = (id: string, claim?: string, manager?: string): SwarmNode => ({
    id, version: 1, hostname: `host-${id}`, role: 'worker', state: 'ready', availability: 'active', address: `10.0.0.${id.length}`,
    engineLabels: claim ? { 'micado.instance': claim } : {}, labels: manager ? { 'micado.instance': manager } : {}, capacity: {},
  }); // prettier-ignore

  it.each([
    ['a node claiming a machine of the cluster', [worker('a', 'i-1')], [], []],
    ['a node claiming nothing', [worker('a')], [], ['a']],
    ['a node claiming a machine no driver has', [worker('a', 'i-9')], [], ['a']],
    ['a second node claiming a machine already taken', [worker('a', 'i-1'), worker('b', 'i-1')], [], ['b']],
    ['a newcomer claiming a trusted node’s machine, though its id sorts first', [worker('z', 'i-1'), worker('a', 'i-1')], ['z'], ['a']],
    ['a trusted node claiming a machine whose own node has come, at its address', [worker('zz', 'i-1'), worker('a', 'i-1')], ['a'], ['a']],
    ['a node the manager labelled, whatever it claims itself', [worker('a', 'i-9', 'i-1')], [], []],
    ['no node that is not Ready yet (it has not told its labels)', [{ ...worker('a'), state: 'unknown' }], [], []],
  ])('judges %s', (_, workers, trusted, rogues) => {
    // Machine i-1 is at 10.0.0.2 (the address worker('zz') has).
    expect(rogueNodes(workers, new Map([['i-1', '10.0.0.2']]), new Set(trusted)).map((n) => n.id)).toEqual(rogues);
  }); // prettier-ignore

  it('removes a hand-joined worker at once, says so once, and asks the drivers only for newcomers', async () => {
    const { provisioner, cloud, swarm, asked } = harness();
    await cloud.start({ id: 'i-1', pool: 'default', flavour: 'small', tag: 't', labels: {} });
    swarm.join(worker('rogue', 'i-1'));
    expect(await provisioner.removeRogues(swarm.nodes)).toEqual(['node host-rogue at 10.0.0.5 is no machine of this cluster (it claims i-1): removed from the swarm']); // prettier-ignore
    expect(swarm.nodes.map((n) => n.id)).toEqual(['node-i-1']);
    expect(await provisioner.removeRogues(swarm.nodes)).toEqual([]);
    expect(asked.machines).toBe(1);
  });
});
