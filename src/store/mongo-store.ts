/**
 * The MongoDB store, through the official driver, selected by MICADO_MONGO_URL.
 *
 * The URL must name its database. Indexes are made when the store opens; metric
 * samples, events, hourly usage and consolidation's moves expire through TTL indexes on
 * a Date field (prune() also deletes them at once, as the server's TTL monitor only runs
 * every minute).
 * Usage is added with $inc on one document per hour and owner, and summed by the
 * server's aggregation, so a report reads one document per owner. A refresh is one
 * bulk write per collection: a standalone server has no multi-collection transactions.
 */
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { MicadoError, configError, messageOf } from '../errors.js';
import {
  OPEN_INTENT_STATES,
  DEFAULT_RETENTION,
  type ContainerRecord,
  type EventQuery,
  type EventRecord,
  type ClientRecord,
  type ImagePolicy,
  type InstanceRecord,
  type IntentState,
  type MetricSample,
  type ProvisioningIntent,
  type Refresh,
  type Retention,
  type Store,
  type TaskMove,
  type UsageFigures,
  type UsageRow,
  type UsageTotal,
} from './store.js';
import { atBothGrains, wholeDays, type UsageGrain } from './usage-grains.js';

interface Keyed {
  _id: string;
}
type InstanceDoc = InstanceRecord & Keyed;
type ContainerDoc = ContainerRecord & Keyed;
type PolicyDoc = ImagePolicy & Keyed;
type ClientDoc = ClientRecord & Keyed;
type SampleDoc = Omit<MetricSample, 'at'> & { at: Date };
type EventDoc = Omit<EventRecord, 'at'> & { at: Date };
type IntentDoc = Omit<ProvisioningIntent, 'id'> & Keyed;
type UsageDoc = Omit<UsageRow, 'hour'> & { grain: UsageGrain; start: Date };
type MoveDoc = Keyed & { at: Date };

const USAGE_FIGURES: (keyof UsageFigures)[] = [
  'containerMs',
  'cpuReservedMilliMs',
  'cpuUsedMilliMs',
  'memoryReservedMbMs',
  'memoryUsedMbMs',
  'nodeMs',
  'nodesStarted',
];
type Expiring = 'samples' | 'events' | 'usage' | 'moves';

const NO_ID = { projection: { _id: 0 } } as const;

/** The database a MongoDB URL names, or undefined (mongodb://h1:1,h2:2/db?opts → db). */
export function mongoDatabase(url: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?[^/?]+\/([^?]*)/.exec(url);
  const name = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  return name || undefined;
}

/** Hosts and database of a URL, never its credentials: what messages may show. */
export function mongoWhere(url: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]+)(?:\/([^?]*))?/.exec(url);
  if (!match) return 'mongodb (unparseable URL)';
  return `mongodb ${match[1]}/${match[2] ?? ''}`;
}

/** A message with the URL's password (should the driver quote it) blotted out. */
function redact(message: string, url: string): string {
  const password = /^mongodb(?:\+srv)?:\/\/[^:@/]*:([^@/]+)@/.exec(url)?.[1];
  if (!password) return message;
  return message.split(password).join('***').split(decodeURIComponent(password)).join('***');
}

export class MongoStore implements Store {
  readonly description: string;
  private readonly mongo: MongoClient;
  private readonly url: string;
  private readonly retention: Retention;
  private readonly instancesColl: Collection<InstanceDoc>;
  private readonly containersColl: Collection<ContainerDoc>;
  private readonly policiesColl: Collection<PolicyDoc>;
  private readonly clientsColl: Collection<ClientDoc>;
  private readonly domainsColl: Collection<{ _id: string; client: string }>;
  private readonly samplesColl: Collection<SampleDoc>;
  private readonly eventsColl: Collection<EventDoc>;
  private readonly intentsColl: Collection<IntentDoc>;
  private readonly usageColl: Collection<UsageDoc>;
  private readonly movesColl: Collection<MoveDoc>;

  private constructor(client: MongoClient, db: Db, url: string, retention: Retention) {
    this.mongo = client;
    this.url = url;
    this.description = mongoWhere(url);
    this.retention = retention;
    this.instancesColl = db.collection('instances');
    this.containersColl = db.collection('containers');
    this.policiesColl = db.collection('imagecontainer');
    // The original manager's collection name.
    this.clientsColl = db.collection('clients');
    this.domainsColl = db.collection('domains');
    this.samplesColl = db.collection('samples');
    this.eventsColl = db.collection('events');
    this.intentsColl = db.collection('intents');
    this.usageColl = db.collection('usage');
    this.movesColl = db.collection('moves');
  }

  static async open(
    url: string,
    options: { connectTimeoutMs: number; retention?: Retention },
  ): Promise<MongoStore> {
    const where = mongoWhere(url);
    const database = mongoDatabase(url);
    if (!database) {
      throw configError(
        `the MongoDB URL (${where}) names no database: add one, e.g. mongodb://HOST:27017/micado`,
      );
    }
    let client: MongoClient;
    try {
      client = new MongoClient(url, {
        serverSelectionTimeoutMS: options.connectTimeoutMs,
        connectTimeoutMS: options.connectTimeoutMs,
        appName: 'micado',
        // Absent optional fields stay absent rather than becoming null.
        ignoreUndefined: true,
      });
    } catch (err) {
      throw configError(`the MongoDB URL (${where}) is invalid: ${redact(messageOf(err), url)}`);
    }
    const store = new MongoStore(
      client,
      client.db(database),
      url,
      options.retention ?? DEFAULT_RETENTION,
    );
    try {
      await client.connect();
      await store.createIndexes();
      return store;
    } catch (err) {
      await client.close().catch(() => undefined);
      throw mongoError(where, url, err);
    }
  }

  private async createIndexes(): Promise<void> {
    await Promise.all([
      this.containersColl.createIndex({ node: 1 }),
      this.samplesColl.createIndex({ kind: 1, subject: 1, at: 1 }),
      this.eventsColl.createIndex({ at: -1 }),
      this.intentsColl.createIndex({ state: 1 }),
      this.usageColl.createIndex({ grain: 1, start: 1, kind: 1, name: 1 }, { unique: true }),
      this.ttlIndex('samples', this.retention.historyMs),
      this.ttlIndex('events', this.retention.eventsMs),
      this.ttlIndex('usage', this.retention.usageMs),
      this.ttlIndex('moves', this.retention.eventsMs),
    ]);
  }

  /** A TTL index on its time; an existing one with another expiry is changed in place. */
  private async ttlIndex(collection: Expiring, expiryMs: number): Promise<void> {
    const seconds = Math.max(1, Math.round(expiryMs / 1000));
    const coll = this.mongo.db(this.samplesColl.dbName).collection(collection);
    const field = collection === 'usage' ? 'start' : 'at';
    try {
      await coll.createIndex({ [field]: 1 }, { name: 'expiry', expireAfterSeconds: seconds });
    } catch (err) {
      const code = (err as { code?: number }).code;
      // IndexOptionsConflict / IndexKeySpecsConflict: the retention was changed.
      if (code !== 85 && code !== 86) throw err;
      await this.mongo.db(coll.dbName).command({
        collMod: collection,
        index: { name: 'expiry', expireAfterSeconds: seconds },
      });
    }
  }

  async writeRefresh(refresh: Refresh): Promise<void> {
    await this.guard(async () => {
      const names = refresh.instances.map((i) => i.name);
      await this.instancesColl.bulkWrite(
        [
          { deleteMany: { filter: { _id: { $nin: names } } } },
          ...refresh.instances.map((i) => ({
            replaceOne: {
              filter: { _id: i.name },
              replacement: i,
              upsert: true,
            },
          })),
        ],
        { ordered: true },
      );
      const ids = refresh.containers.map((c) => c.id);
      await this.containersColl.bulkWrite(
        [
          // Containers of nodes that did not answer keep their last rows.
          {
            deleteMany: { filter: { _id: { $nin: ids }, node: { $nin: refresh.staleInstances } } },
          },
          ...refresh.containers.map((c) => ({
            replaceOne: { filter: { _id: c.id }, replacement: c, upsert: true },
          })),
        ],
        { ordered: true },
      );
      if (refresh.samples.length > 0) {
        await this.samplesColl.insertMany(
          refresh.samples.map((s) => ({ ...s, at: new Date(s.at) })),
          { ordered: false },
        );
      }
      if (refresh.usage) await this.addUsageNow(refresh.usage);
      await this.pruneAt(refresh.at);
    });
  }

  async addUsage(rows: UsageRow[]): Promise<void> {
    await this.guard(() => this.addUsageNow(rows));
  }

  async usage(query: { since: number; until: number }): Promise<UsageTotal[]> {
    const sums = Object.fromEntries(USAGE_FIGURES.map((f) => [f, { $sum: `$${f}` }]));
    const days = wholeDays(query.since, query.until);
    const between = (grain: UsageGrain, from: number, to: number) => ({
      grain,
      start: { $gte: new Date(from), $lt: new Date(to) },
    });
    const docs = await this.guard(() =>
      this.usageColl
        .aggregate<{ _id: { kind: UsageRow['kind']; name: string } } & UsageFigures>([
          // The whole days from daily documents, the hours before and after from hourly ones.
          {
            $match: {
              $or: [
                between('day', days.from, days.to),
                between('hour', query.since, days.from),
                between('hour', days.to, query.until),
              ],
            },
          },
          { $group: { _id: { kind: '$kind', name: '$name' }, ...sums } },
          { $sort: { '_id.kind': 1, '_id.name': 1 } },
        ])
        .toArray(),
    );
    return docs.map(({ _id, ...figures }) => ({ ..._id, ...figures }));
  }

  async putInstance(instance: InstanceRecord): Promise<void> {
    await this.guard(() =>
      this.instancesColl.replaceOne({ _id: instance.name }, instance, { upsert: true }),
    );
  }

  async putContainer(container: ContainerRecord): Promise<void> {
    await this.guard(() =>
      this.containersColl.replaceOne({ _id: container.id }, container, { upsert: true }),
    );
  }

  async instances(): Promise<InstanceRecord[]> {
    return this.guard(() => this.instancesColl.find({}, NO_ID).sort({ _id: 1 }).toArray());
  }

  async containers(): Promise<ContainerRecord[]> {
    return this.guard(() => this.containersColl.find({}, NO_ID).sort({ _id: 1 }).toArray());
  }

  async putClient(client: ClientRecord): Promise<void> {
    await this.guard(() => this.clientsColl.replaceOne({ _id: client.name }, client, { upsert: true })); // prettier-ignore
  }

  async removeClient(name: string): Promise<boolean> {
    return this.guard(async () => (await this.clientsColl.deleteOne({ _id: name })).deletedCount > 0); // prettier-ignore
  }

  async clients(): Promise<ClientRecord[]> {
    return this.guard(() => this.clientsColl.find({}, NO_ID).sort({ _id: 1 }).toArray());
  }

  async client(name: string): Promise<ClientRecord | undefined> {
    return this.guard(async () => (await this.clientsColl.findOne({ _id: name }, NO_ID)) ?? undefined); // prettier-ignore
  }

  async claimDomain(domain: string, client: string): Promise<{ owner: string; claimed: boolean }> {
    return this.guard(async () => {
      let claimed = false;
      try {
        const result = await this.domainsColl.updateOne({ _id: domain }, { $setOnInsert: { client } }, { upsert: true }); // prettier-ignore
        claimed = result.upsertedCount > 0;
      } catch (err) {
        // Two upserts of one new _id at once: the other took it (duplicate key).
        if ((err as { code?: number }).code !== 11000) throw err;
      }
      const owner = (await this.domainsColl.findOne({ _id: domain }))!.client;
      return { owner, claimed };
    });
  }

  async setDomainOwner(domain: string, client: string | undefined): Promise<void> {
    await this.guard(async () => {
      if (client === undefined) await this.domainsColl.deleteOne({ _id: domain });
      else await this.domainsColl.replaceOne({ _id: domain }, { client }, { upsert: true });
    });
  }

  async domainOwners(): Promise<{ domain: string; client: string }[]> {
    return this.guard(
      async () =>
      (await this.domainsColl.find().sort({ _id: 1 }).toArray()).map((d) => ({ domain: d._id, client: d.client })), // prettier-ignore
    );
  }

  async putImagePolicy(policy: ImagePolicy): Promise<void> {
    await this.guard(() =>
      this.policiesColl.replaceOne({ _id: policy.image }, policy, { upsert: true }),
    );
  }

  async removeImagePolicy(image: string): Promise<boolean> {
    return this.guard(
      async () => (await this.policiesColl.deleteOne({ _id: image })).deletedCount > 0,
    );
  }

  async imagePolicies(): Promise<ImagePolicy[]> {
    return this.guard(() => this.policiesColl.find({}, NO_ID).sort({ _id: 1 }).toArray());
  }

  async history(query: {
    kind?: MetricSample['kind'];
    subject?: string;
    since?: number;
  }): Promise<MetricSample[]> {
    const filter: Document = { at: { $gte: new Date(query.since ?? 0) } };
    if (query.kind) filter.kind = query.kind;
    if (query.subject) filter.subject = query.subject;
    const docs = await this.guard(() =>
      this.samplesColl.find(filter, NO_ID).sort({ at: 1, _id: 1 }).toArray(),
    );
    return docs.map((d) => ({
      at: d.at.getTime(),
      kind: d.kind,
      subject: d.subject,
      cpuMilli: d.cpuMilli ?? undefined,
      memoryMb: d.memoryMb,
      ...(d.client != null ? { client: d.client } : {}),
      ...(d.pool != null ? { pool: d.pool } : {}),
      ...(d.replicas != null ? { replicas: d.replicas } : {}),
      ...(d.reserved != null ? { reserved: d.reserved } : {}),
    }));
  }

  async prune(now: number): Promise<void> {
    await this.guard(() => this.pruneAt(now));
  }

  async recordEvent(event: EventRecord): Promise<void> {
    await this.guard(() => this.eventsColl.insertOne({ ...event, at: new Date(event.at) }));
  }

  async events(query: EventQuery = {}): Promise<EventRecord[]> {
    const cursor = this.eventsColl
      .find({ at: { $gte: new Date(query.since ?? 0) } }, NO_ID)
      .sort({ at: -1, _id: -1 });
    if (query.limit !== undefined) cursor.limit(query.limit);
    const docs = await this.guard(() => cursor.toArray());
    return docs.reverse().map((d) => ({
      at: d.at.getTime(),
      actor: d.actor,
      action: d.action,
      subject: d.subject,
      message: d.message,
    }));
  }

  async addIntent(intent: ProvisioningIntent): Promise<void> {
    const { id, ...rest } = intent;
    await this.guard(() => this.intentsColl.insertOne({ _id: id, ...rest }));
  }

  async updateIntent(
    id: string,
    change: { state: IntentState; updatedAt: number; error?: string },
  ): Promise<void> {
    const result = await this.guard(() =>
      this.intentsColl.updateOne(
        { _id: id },
        change.error === undefined
          ? { $set: { state: change.state, updatedAt: change.updatedAt }, $unset: { error: '' } }
          : { $set: { state: change.state, updatedAt: change.updatedAt, error: change.error } },
      ),
    );
    if (result.matchedCount === 0)
      throw new MicadoError('internal', `no provisioning intent ${id}`);
  }

  async openIntents(): Promise<ProvisioningIntent[]> {
    return this.intentList({ state: { $in: OPEN_INTENT_STATES } });
  }

  async intents(query: { since?: number } = {}): Promise<ProvisioningIntent[]> {
    return this.intentList({ createdAt: { $gte: query.since ?? 0 } });
  }

  async recordMoves(slots: string[], at: number): Promise<void> {
    if (slots.length === 0) return;
    await this.guard(() =>
      this.movesColl.bulkWrite(
        slots.map((slot) => ({
          updateOne: {
            filter: { _id: slot },
            update: { $max: { at: new Date(at) } },
            upsert: true,
          },
        })),
        { ordered: false },
      ),
    );
  }

  async movesSince(since: number): Promise<TaskMove[]> {
    const docs = await this.guard(() =>
      this.movesColl
        .find({ at: { $gte: new Date(since) } })
        .sort({ _id: 1 })
        .toArray(),
    );
    return docs.map((d) => ({ slot: d._id, at: d.at.getTime() }));
  }

  async close(): Promise<void> {
    await this.mongo.close();
  }

  private async intentList(filter: Document): Promise<ProvisioningIntent[]> {
    const docs = await this.guard(() =>
      this.intentsColl.find(filter).sort({ createdAt: 1, _id: 1 }).toArray(),
    );
    return docs.map(({ _id, ...rest }) => ({
      ...rest,
      id: _id,
      cloud: rest.cloud ?? undefined,
      error: rest.error ?? undefined,
    }));
  }

  private async addUsageNow(rows: UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.usageColl.bulkWrite(
      rows
        .flatMap(atBothGrains)
        .map(({ grain, start, row: { hour: _, kind, name, ...figures } }) => ({
          updateOne: {
            filter: { grain, start: new Date(start), kind, name },
            update: { $inc: figures },
            upsert: true,
          },
        })),
      { ordered: false },
    );
  }

  private async pruneAt(now: number): Promise<void> {
    await Promise.all([
      this.samplesColl.deleteMany({ at: { $lt: new Date(now - this.retention.historyMs) } }),
      this.eventsColl.deleteMany({ at: { $lt: new Date(now - this.retention.eventsMs) } }),
      this.movesColl.deleteMany({ at: { $lt: new Date(now - this.retention.eventsMs) } }),
      this.usageColl.deleteMany({ start: { $lt: new Date(now - this.retention.usageMs) } }),
    ]);
  }

  private async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (err instanceof MicadoError) throw err;
      throw mongoError(this.description, this.url, err);
    }
  }
}

function mongoError(where: string, url: string, err: unknown): MicadoError {
  const message = redact(messageOf(err), url);
  const name = (err as { name?: string }).name ?? '';
  const code = (err as { code?: number }).code;
  if (name === 'MongoServerSelectionError' || name === 'MongoNetworkError') {
    return new MicadoError(
      'transient',
      `cannot reach ${where}: ${message}; check that the server runs and the URL is right`,
      { cause: err },
    );
  }
  if (code === 18 || name === 'MongoMissingCredentialsError') {
    return new MicadoError('config', `${where} refused micado's credentials: check the URL`, {
      cause: err,
    });
  }
  if (code === 11000) {
    return new MicadoError('conflict', `${where}: already recorded (${message})`, {
      cause: err,
    });
  }
  return new MicadoError('host', `${where} failed: ${message}`, { cause: err });
}
