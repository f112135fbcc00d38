/**
 * The behaviour every Store implementation must have. Each backend's test file runs
 * it with a backend that opens stores at named locations (a file, a database): every
 * test gets a location of its own, and opening it twice gives two connections to it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { container, instance, T0 } from './store.fixtures.js';
import type {
  MetricSample,
  ProvisioningIntent,
  Refresh,
  Retention,
  Store,
  UsageFigures,
  UsageRow,
} from './store.js';

export interface StoreBackend {
  open(location: string, retention: Retention): Promise<Store>;
  /** Remove everything stored at the location. */
  destroy(location: string): Promise<void>;
}

const HOUR = 3600_000;
const RETENTION: Retention = { historyMs: 24 * HOUR, eventsMs: 48 * HOUR, usageMs: 72 * HOUR };

function refresh(at: number, change: Partial<Refresh> = {}): Refresh {
  return { at, instances: [], containers: [], samples: [], staleInstances: [], ...change };
}

function sample(at: number, subject: string, memoryMb = 10): MetricSample {
  return { at, kind: 'container', subject, cpuMilli: 5, memoryMb };
}

const NO_USAGE: UsageFigures = { containerMs: 0, cpuReservedMilliMs: 0, cpuUsedMilliMs: 0, memoryReservedMbMs: 0, memoryUsedMbMs: 0, nodeMs: 0, nodesStarted: 0 }; // prettier-ignore

function usage(hour: number, kind: UsageRow['kind'], name: string, figures: Partial<UsageFigures>): UsageRow {
  return { hour, kind, name, ...NO_USAGE, ...figures };
} // prettier-ignore

function intent(id: string, change: Partial<ProvisioningIntent> = {}): ProvisioningIntent {
  return {
    id,
    pool: 'default',
    driver: 'local',
    cloud: undefined,
    flavour: 'small',
    instance: `i-${id}`,
    state: 'intended',
    createdAt: T0,
    updatedAt: T0,
    error: undefined,
    ...change,
  };
}

let locations = 0;

export function storeContract(name: string, backend: StoreBackend): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    let location = '';
    beforeEach(() => {
      location = `contract${process.pid}x${++locations}`;
    });
    const open = async (retention = RETENTION) => {
      const store = await backend.open(location, retention);
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      await backend.destroy(location);
    });

    it('starts empty', async () => {
      const store = await open();
      expect(await store.instances()).toEqual([]);
      expect(await store.containers()).toEqual([]);
      expect(await store.imagePolicies()).toEqual([]);
      expect(await store.events()).toEqual([]);
      expect(await store.openIntents()).toEqual([]);
      expect(await store.history({})).toEqual([]);
    });

    it('a refresh replaces the current view and keeps what stale nodes had', async () => {
      const store = await open();
      await store.writeRefresh(
        refresh(T0, {
          instances: [instance('a'), instance('b'), instance('c')],
          containers: [container('1', 'a'), container('2', 'b'), container('3', 'c')],
        }),
      );
      expect((await store.instances()).map((i) => i.name)).toEqual(['a', 'b', 'c']);
      // c is gone; b did not answer: its row is marked stale and its container kept.
      const staleB = instance('b', { stale: true });
      await store.writeRefresh(
        refresh(T0 + 60_000, {
          instances: [instance('a', { used: { cpuMilli: 70, memoryMb: 41.5 } }), staleB],
          containers: [container('4', 'a', { address: undefined, cpuMilli: undefined })],
          staleInstances: ['b'],
        }),
      );
      expect(await store.instances()).toEqual([
        instance('a', { used: { cpuMilli: 70, memoryMb: 41.5 } }),
        staleB,
      ]);
      const containers = await store.containers();
      expect(containers.map((c) => c.id)).toEqual(['2', '4']);
      expect(containers[0]).toEqual(container('2', 'b'));
      // Optional fields come back absent, not null.
      expect(containers[1]?.address).toBeUndefined();
      expect(containers[1]?.cpuMilli).toBeUndefined();
    });

    it('row-by-row puts replace one row each', async () => {
      const store = await open();
      await store.putInstance(instance('a'));
      await store.putInstance(instance('a', { state: 'down' }));
      await store.putContainer(container('1', 'a'));
      expect(await store.instances()).toEqual([instance('a', { state: 'down' })]);
      expect(await store.containers()).toEqual([container('1', 'a')]);
    });

    it('keeps image policies by image', async () => {
      const store = await open();
      const policy = {
        image: 'web',
        cpuHighPercent: 80,
        memoryHighPercent: 90,
        cpuLowPercent: 20,
        memoryLowPercent: 30,
        minReplicas: 1,
        maxReplicas: 5,
      };
      await store.putImagePolicy(policy);
      await store.putImagePolicy({ ...policy, maxReplicas: 8 });
      await store.putImagePolicy({ ...policy, image: 'api' });
      expect((await store.imagePolicies()).map((p) => [p.image, p.maxReplicas])).toEqual([
        ['api', 5],
        ['web', 8],
      ]);
      expect(await store.removeImagePolicy('web')).toBe(true);
      expect(await store.removeImagePolicy('web')).toBe(false);
      expect((await store.imagePolicies()).map((p) => p.image)).toEqual(['api']);
    });

    it('keeps clients by name, with their limits', async () => {
      const store = await open();
      const acme = {
        name: 'acme',
        domain: 'acme.example',
        membership: 'gold',
        limits: { containers: 3, replicas: 6, cpuMilli: 2000, memoryMb: 4096, pools: ['application'], ttlMs: 86_400_000 },
        createdAt: 1000,
        updatedAt: 1000,
      }; // prettier-ignore
      await store.putClient(acme);
      await store.putClient({
        ...acme,
        name: 'beta',
        domain: undefined,
        membership: undefined,
        limits: {},
      });
      await store.putClient({
        ...acme,
        limits: { ...acme.limits, containers: 5 },
        updatedAt: 2000,
      });
      const clients = await store.clients();
      expect(clients.map((c) => c.name)).toEqual(['acme', 'beta']);
      expect(clients[0]).toEqual({
        ...acme,
        limits: { ...acme.limits, containers: 5 },
        updatedAt: 2000,
      });
      expect(clients[1]!.limits).toEqual({});
      expect(await store.client('acme')).toEqual(clients[0]);
      expect(await store.client('nobody')).toBeUndefined();
      expect(await store.removeClient('beta')).toBe(true);
      expect(await store.removeClient('beta')).toBe(false);
      expect((await store.clients()).map((c) => c.name)).toEqual(['acme']);
    });

    it('gives a domain to the first client that claims it, at once, until it is handed over', async () => {
      const store = await open();
      // Ten claims at the same moment: one takes it, every one hears the same owner.
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimDomain('shop.example', `c${i}`))); // prettier-ignore
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      const owner = claims.find((c) => c.claimed)!.owner;
      expect(new Set(claims.map((c) => c.owner))).toEqual(new Set([owner]));
      expect(await store.claimDomain('shop.example', owner)).toEqual({ owner, claimed: false });
      await store.setDomainOwner('shop.example', 'buyer');
      expect(await store.claimDomain('shop.example', owner)).toEqual({
        owner: 'buyer',
        claimed: false,
      });
      expect(await store.domainOwners()).toEqual([{ domain: 'shop.example', client: 'buyer' }]);
      await store.setDomainOwner('shop.example', undefined);
      expect(await store.domainOwners()).toEqual([]);
    });

    it('appends history and answers by subject and time', async () => {
      const store = await open();
      await store.writeRefresh(
        refresh(T0, {
          samples: [
            sample(T0, 'web'),
            sample(T0, 'api'),
            { at: T0, kind: 'node', subject: 'a', cpuMilli: undefined, memoryMb: 3 },
          ],
        }),
      );
      await store.writeRefresh(refresh(T0 + HOUR, { samples: [sample(T0 + HOUR, 'web', 11)] }));
      expect(
        (await store.history({ kind: 'container', subject: 'web' })).map((s) => s.memoryMb),
      ).toEqual([10, 11]);
      expect(await store.history({ since: T0 + 1 })).toEqual([sample(T0 + HOUR, 'web', 11)]);
      expect(await store.history({ kind: 'node' })).toEqual([
        { at: T0, kind: 'node', subject: 'a', cpuMilli: undefined, memoryMb: 3 },
      ]);
    });

    it("keeps what reports read of a sample: a container's client, replicas and reservation, a node's pool", async () => {
      const store = await open();
      const container = { at: T0, kind: 'container' as const, subject: 'web', cpuMilli: 50, memoryMb: 40, client: 'acme', replicas: 2, reserved: { cpuMilli: 200, memoryMb: 128 } }; // prettier-ignore
      const node = { at: T0, kind: 'node' as const, subject: 'i-1', cpuMilli: 80, memoryMb: 300, pool: 'application' }; // prettier-ignore
      await store.writeRefresh(refresh(T0, { samples: [container, node] }));
      expect(await store.history({ kind: 'container' })).toEqual([container]);
      expect(await store.history({ kind: 'node' })).toEqual([node]);
    });

    it("adds usage to its hour's row, and sums each owner's rows over a window of hours", async () => {
      const store = await open();
      await store.addUsage([
        usage(T0, 'client', 'acme', { containerMs: 1000, cpuReservedMilliMs: 500.5, nodesStarted: 1 }),
        usage(T0, 'pool', 'application', { nodeMs: 3_600_000 }),
      ]);
      // The same hour again adds to it; a refresh brings its own rows in the same write.
      await store.addUsage([usage(T0, 'client', 'acme', { containerMs: 2000, memoryUsedMbMs: 0.25 })]);
      await store.writeRefresh(refresh(T0 + HOUR, { usage: [usage(T0 + HOUR, 'client', 'acme', { containerMs: 4000, cpuUsedMilliMs: 7 })] }));
      await store.addUsage([usage(T0 + 2 * HOUR, 'client', 'beta', { containerMs: 8000 })]);
      expect(await store.usage({ since: T0, until: T0 + 2 * HOUR })).toEqual([
        { kind: 'client', name: 'acme', ...NO_USAGE, containerMs: 7000, cpuReservedMilliMs: 500.5, cpuUsedMilliMs: 7, memoryUsedMbMs: 0.25, nodesStarted: 1 },
        { kind: 'pool', name: 'application', ...NO_USAGE, nodeMs: 3_600_000 },
      ]);
      expect(await store.usage({ since: T0 + HOUR, until: T0 + 3 * HOUR })).toEqual([
        { kind: 'client', name: 'acme', ...NO_USAGE, containerMs: 4000, cpuUsedMilliMs: 7 },
        { kind: 'client', name: 'beta', ...NO_USAGE, containerMs: 8000 },
      ]);
      expect(await store.usage({ since: T0 + 3 * HOUR, until: T0 + 4 * HOUR })).toEqual([]);
      // Past its retention (72 h) an hour's usage is dropped, and nothing younger.
      await store.prune(T0 + 73 * HOUR);
      expect((await store.usage({ since: 0, until: T0 + 4 * HOUR })).map((u) => [u.name, u.containerMs])).toEqual([['acme', 4000], ['beta', 8000]]);
    }); // prettier-ignore

    it('sums a window of days and odd hours as the hours it holds', async () => {
      const store = await open({ ...RETENTION, usageMs: 400 * 24 * HOUR });
      // Three days and a bit of hourly rows, each hour's figure its own number.
      const day = Math.floor(T0 / (24 * HOUR)) * 24 * HOUR;
      const hours = Array.from({ length: 80 }, (_, i) => day + i * HOUR);
      await store.addUsage(hours.map((hour, i) => usage(hour, 'pool', 'p', { nodeMs: i + 1 })));
      const expected = (since: number, until: number) =>
        hours.map((h, i) => (h >= since && h < until ? i + 1 : 0)).reduce((a, b) => a + b, 0);
      for (const [since, until] of [
        [day, day + 72 * HOUR], // whole days only
        [day + 5 * HOUR, day + 61 * HOUR], // odd hours at both ends, one whole day between
        [day + 5 * HOUR, day + 20 * HOUR], // within a day
        [day + 23 * HOUR, day + 25 * HOUR], // across midnight, no whole day
        [day - 24 * HOUR, day + 100 * HOUR], // beyond what is kept
      ] as const) {
        const [total] = await store.usage({ since, until });
        expect(total?.nodeMs ?? 0, `${(since - day) / HOUR}h to ${(until - day) / HOUR}h`).toBe(expected(since, until));
      }
    }); // prettier-ignore

    it('drops samples and events past their retention, and nothing younger', async () => {
      const store = await open();
      await store.recordEvent({
        at: T0,
        actor: 'cli',
        action: 'launch',
        subject: 'container-old',
        message: 'old',
      });
      await store.writeRefresh(refresh(T0, { samples: [sample(T0, 'web')] }));
      await store.recordEvent({
        at: T0 + 30 * HOUR,
        actor: 'cli',
        action: 'launch',
        subject: 'container-new',
        message: 'new',
      });
      // 30 h later the sample (24 h) is gone, the events (48 h) are not.
      await store.writeRefresh(
        refresh(T0 + 30 * HOUR, { samples: [sample(T0 + 30 * HOUR, 'web')] }),
      );
      expect((await store.history({})).map((s) => s.at)).toEqual([T0 + 30 * HOUR]);
      expect((await store.events()).map((e) => e.message)).toEqual(['old', 'new']);
      await store.prune(T0 + 55 * HOUR);
      expect((await store.events()).map((e) => e.message)).toEqual(['new']);
      expect(await store.history({})).toEqual([]);
    });

    it('lists events oldest first, from a time, and the newest N', async () => {
      const store = await open();
      for (let n = 0; n < 5; n++) {
        await store.recordEvent({
          at: T0 + n * 1000,
          actor: n % 2 ? 'manager' : 'cli',
          action: 'scale-up',
          subject: 'pool default',
          message: `event ${n}`,
        });
      }
      // Two events in the same millisecond keep the order they were recorded in.
      await store.recordEvent({
        at: T0 + 4000,
        actor: 'manager',
        action: 'failure',
        subject: 'x',
        message: 'event 5',
      });
      const messages = async (q?: { since?: number; limit?: number }) =>
        (await store.events(q)).map((e) => e.message);
      expect(await messages()).toEqual([0, 1, 2, 3, 4, 5].map((n) => `event ${n}`));
      expect(await messages({ since: T0 + 3000 })).toEqual(['event 3', 'event 4', 'event 5']);
      expect(await messages({ limit: 2 })).toEqual(['event 4', 'event 5']);
      expect((await store.events({ limit: 1 }))[0]).toEqual({
        at: T0 + 4000,
        actor: 'manager',
        action: 'failure',
        subject: 'x',
        message: 'event 5',
      });
    });

    it('keeps the provisioning ledger: open intents until completed', async () => {
      const store = await open();
      await store.addIntent(intent('1'));
      await store.addIntent(intent('2', { createdAt: T0 + 1, cloud: 'cb' }));
      await store.addIntent(intent('3', { createdAt: T0 + 2 }));
      await expect(store.addIntent(intent('1'))).rejects.toMatchObject({ kind: 'conflict' });
      await store.updateIntent('1', { state: 'requested', updatedAt: T0 + 10 });
      await store.updateIntent('3', { state: 'failed', updatedAt: T0 + 11, error: 'no quota' });
      const open1 = await store.openIntents();
      expect(open1.map((i) => [i.id, i.state])).toEqual([
        ['1', 'requested'],
        ['2', 'intended'],
      ]);
      expect(open1[1]).toEqual(intent('2', { createdAt: T0 + 1, cloud: 'cb' }));
      await store.updateIntent('1', { state: 'joined', updatedAt: T0 + 20 });
      expect((await store.openIntents()).map((i) => i.id)).toEqual(['2']);
      const all = await store.intents();
      expect(all.map((i) => [i.id, i.state, i.error])).toEqual([
        ['1', 'joined', undefined],
        ['2', 'intended', undefined],
        ['3', 'failed', 'no quota'],
      ]);
      expect((await store.intents({ since: T0 + 1 })).map((i) => i.id)).toEqual(['2', '3']);
      await expect(store.updateIntent('nope', { state: 'failed', updatedAt: T0 })).rejects.toThrow(
        /no provisioning intent nope/,
      );
    });

    it('keeps a replacement open until the nodes it replaces are handed over', async () => {
      const store = await open();
      const replacing = intent('r', { replaces: ['i-a', 'i-b'] });
      await store.addIntent(replacing);
      expect(await store.openIntents()).toEqual([replacing]);
      await store.updateIntent('r', { state: 'replacing', updatedAt: T0 + 5 });
      expect(await store.openIntents()).toEqual([{ ...replacing, state: 'replacing', updatedAt: T0 + 5 }]); // prettier-ignore
      await store.updateIntent('r', { state: 'joined', updatedAt: T0 + 6 });
      expect(await store.openIntents()).toEqual([]);
      expect((await store.intents())[0]!.replaces).toEqual(['i-a', 'i-b']);
    });

    it("remembers each task slot's latest move, from a time, until its retention", async () => {
      const store = await open();
      await store.recordMoves(['web.1', 'web.2'], T0);
      await store.recordMoves(['web.2', 'db.1'], T0 + HOUR);
      // A late write of an older move leaves the later one.
      await store.recordMoves(['web.2'], T0 + 1);
      await store.recordMoves([], T0 + 2 * HOUR);
      expect(await store.movesSince(T0)).toEqual([
        { slot: 'db.1', at: T0 + HOUR },
        { slot: 'web.1', at: T0 },
        { slot: 'web.2', at: T0 + HOUR },
      ]);
      expect((await store.movesSince(T0 + 1)).map((m) => m.slot)).toEqual(['db.1', 'web.2']);
      // Kept as long as events (48 h here).
      await store.prune(T0 + 48 * HOUR + 1);
      expect((await store.movesSince(0)).map((m) => m.slot)).toEqual(['db.1', 'web.2']);
    });

    it('a second connection sees what the first wrote', async () => {
      const first = await open();
      const second = await open();
      await first.recordEvent({
        at: T0,
        actor: 'cli',
        action: 'launch',
        subject: 's',
        message: 'm',
      });
      await first.putInstance(instance('a'));
      expect((await second.events()).length).toBe(1);
      expect(await second.instances()).toEqual([instance('a')]);
    });
  });
}
