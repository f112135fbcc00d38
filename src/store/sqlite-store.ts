/**
 * The embedded default: one SQLite file in the state dir, through better-sqlite3.
 *
 * The CLI and the manager open it at the same time, so it runs in WAL mode (readers
 * never block the writer) with a busy timeout, and every write takes the write lock
 * up front (BEGIN IMMEDIATE) rather than upgrading a read, which could fail at once.
 * The current views are JSON documents keyed by name, like the MongoDB collections;
 * history, events and the ledger are columns, as they are queried by time and state.
 */
import Database from 'better-sqlite3';
import { MicadoError, messageOf } from '../errors.js';
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
  type UsageRow,
  type UsageTotal,
} from './store.js';
import { atBothGrains, wholeDays } from './usage-grains.js';

const SCHEMA_VERSION = 5;
/** What each schema version adds to a store written by the one before it. */
const MIGRATIONS: Record<number, string | ((db: Database.Database) => void)> = {
  // Reports: a container sample's client, replicas and reservation; a node sample's pool.
  2: `ALTER TABLE samples ADD COLUMN client TEXT;
      ALTER TABLE samples ADD COLUMN pool TEXT;
      ALTER TABLE samples ADD COLUMN replicas INTEGER;
      ALTER TABLE samples ADD COLUMN reserved_cpu_milli REAL;
      ALTER TABLE samples ADD COLUMN reserved_memory_mb REAL;`,
  // Hourly usage: a table of its own, which SCHEMA makes.
  3: '',
  // Consolidation: the instances a node started to replace others replaces (a store
  // older than the ledger has no intents table yet, which SCHEMA makes whole).
  4: (db) => {
    const columns = db.pragma('table_info(intents)') as { name: string }[];
    if (columns.length > 0 && !columns.some((c) => c.name === 'replaces'))
      db.exec('ALTER TABLE intents ADD COLUMN replaces TEXT');
  },
  // The task slots consolidation moved: a table of its own, which SCHEMA makes.
  5: '',
};

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS instances (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, node TEXT NOT NULL, doc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS image_policies (image TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS clients (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS domains (domain TEXT PRIMARY KEY, client TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS samples (
    at INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
    cpu_milli REAL, memory_mb REAL NOT NULL, client TEXT, pool TEXT, replicas INTEGER,
    reserved_cpu_milli REAL, reserved_memory_mb REAL);
  CREATE INDEX IF NOT EXISTS samples_by_subject ON samples (kind, subject, at);
  CREATE INDEX IF NOT EXISTS samples_by_time ON samples (at);
  CREATE TABLE IF NOT EXISTS usage (
    grain TEXT NOT NULL, start INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    container_ms REAL NOT NULL, cpu_reserved_milli_ms REAL NOT NULL,
    cpu_used_milli_ms REAL NOT NULL, memory_reserved_mb_ms REAL NOT NULL,
    memory_used_mb_ms REAL NOT NULL, node_ms REAL NOT NULL, nodes_started INTEGER NOT NULL,
    PRIMARY KEY (grain, start, kind, name)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS events_by_time ON events (at);
  CREATE TABLE IF NOT EXISTS intents (
    id TEXT PRIMARY KEY, pool TEXT NOT NULL, driver TEXT NOT NULL, cloud TEXT,
    flavour TEXT NOT NULL, instance TEXT NOT NULL, state TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, error TEXT, replaces TEXT);
  CREATE INDEX IF NOT EXISTS intents_by_state ON intents (state);
  CREATE TABLE IF NOT EXISTS moves (slot TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
`;

/** A usage row's figures, as columns (snake_case) and as the record's fields. */
const USAGE_FIGURES = [
  ['container_ms', 'containerMs'],
  ['cpu_reserved_milli_ms', 'cpuReservedMilliMs'],
  ['cpu_used_milli_ms', 'cpuUsedMilliMs'],
  ['memory_reserved_mb_ms', 'memoryReservedMbMs'],
  ['memory_used_mb_ms', 'memoryUsedMbMs'],
  ['node_ms', 'nodeMs'],
  ['nodes_started', 'nodesStarted'],
] as const;
const ADD_USAGE = `INSERT INTO usage (grain, start, kind, name, ${USAGE_FIGURES.map(([c]) => c).join(', ')})
  VALUES (@grain, @start, @kind, @name, ${USAGE_FIGURES.map(([, f]) => `@${f}`).join(', ')})
  ON CONFLICT (grain, start, kind, name) DO UPDATE SET
  ${USAGE_FIGURES.map(([c]) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
/** The whole days from daily rows, the hours before and after them from hourly rows. */
const SUM_USAGE = `SELECT kind, name, ${USAGE_FIGURES.map(([c, f]) => `SUM(${c}) AS ${f}`).join(', ')}
  FROM (SELECT * FROM usage WHERE grain = 'day' AND start >= @from AND start < @to
        UNION ALL SELECT * FROM usage WHERE grain = 'hour' AND start >= @since AND start < @from
        UNION ALL SELECT * FROM usage WHERE grain = 'hour' AND start >= @to AND start < @until)
  GROUP BY kind, name ORDER BY kind, name`;
const PUT_INSTANCE = 'INSERT OR REPLACE INTO instances (name, doc) VALUES (?, ?)';
const PUT_CONTAINER = 'INSERT OR REPLACE INTO containers (id, node, doc) VALUES (?, ?, ?)';

interface IntentRow {
  id: string;
  pool: string;
  driver: string;
  cloud: string | null;
  flavour: string;
  instance: string;
  state: IntentState;
  created_at: number;
  updated_at: number;
  error: string | null;
  replaces: string | null;
}

interface SampleRow {
  at: number;
  kind: MetricSample['kind'];
  subject: string;
  cpu_milli: number | null;
  memory_mb: number;
  client: string | null;
  pool: string | null;
  replicas: number | null;
  reserved_cpu_milli: number | null;
  reserved_memory_mb: number | null;
}

export class SqliteStore implements Store {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly retention: Retention;

  private constructor(db: Database.Database, file: string, retention: Retention) {
    this.db = db;
    this.description = `sqlite store ${file}`;
    this.retention = retention;
  }

  /** Open (creating it if absent) the store at `file`; one clear error if it cannot be. */
  static open(file: string, retention: Retention = DEFAULT_RETENTION): SqliteStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 5_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new MicadoError(
          'host',
          `the store ${file} was written by a newer micado (schema ${version}): upgrade micado`,
        );
      }
      // A store of an older version is brought up to date; a new one made whole.
      for (let v = version + 1; version > 0 && v <= SCHEMA_VERSION; v++) {
        const migration = MIGRATIONS[v]!;
        if (typeof migration === 'string') db.exec(migration);
        else migration(db);
      }
      db.exec(SCHEMA);
      if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new SqliteStore(db, file, retention);
    } catch (err) {
      db?.close();
      if (err instanceof MicadoError) throw err;
      throw storeError(file, err);
    }
  }

  async writeRefresh(refresh: Refresh): Promise<void> {
    this.write(() => {
      const keep = new Set(refresh.instances.map((i) => i.name));
      const names = this.db.prepare('SELECT name FROM instances').pluck().all() as string[];
      const dropInstance = this.db.prepare('DELETE FROM instances WHERE name = ?');
      for (const name of names) if (!keep.has(name)) dropInstance.run(name);
      const putInstance = this.db.prepare(PUT_INSTANCE);
      for (const i of refresh.instances) putInstance.run(i.name, JSON.stringify(i));

      // Containers of nodes that did not answer keep their last rows.
      const stale = new Set(refresh.staleInstances);
      const seen = new Set(refresh.containers.map((c) => c.id));
      const current = this.db.prepare('SELECT id, node FROM containers').all() as {
        id: string;
        node: string;
      }[];
      const drop = this.db.prepare('DELETE FROM containers WHERE id = ?');
      for (const row of current) if (!seen.has(row.id) && !stale.has(row.node)) drop.run(row.id);
      const putContainer = this.db.prepare(PUT_CONTAINER);
      for (const c of refresh.containers) putContainer.run(c.id, c.node, JSON.stringify(c));

      const addSample = this.db.prepare(
        `INSERT INTO samples (at, kind, subject, cpu_milli, memory_mb, client, pool, replicas,
           reserved_cpu_milli, reserved_memory_mb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const s of refresh.samples) {
        addSample.run(s.at, s.kind, s.subject, s.cpuMilli ?? null, s.memoryMb, s.client ?? null,
          s.pool ?? null, s.replicas ?? null, s.reserved?.cpuMilli ?? null, s.reserved?.memoryMb ?? null); // prettier-ignore
      }
      if (refresh.usage) this.addUsageNow(refresh.usage);
      this.pruneNow(refresh.at);
    });
  }

  async addUsage(rows: UsageRow[]): Promise<void> {
    this.write(() => this.addUsageNow(rows));
  }

  async usage(query: { since: number; until: number }): Promise<UsageTotal[]> {
    const days = wholeDays(query.since, query.until);
    return this.read(() => this.db.prepare(SUM_USAGE).all({ ...query, ...days }) as UsageTotal[]);
  }

  async putInstance(instance: InstanceRecord): Promise<void> {
    this.write(() => this.db.prepare(PUT_INSTANCE).run(instance.name, JSON.stringify(instance)));
  }

  async putContainer(container: ContainerRecord): Promise<void> {
    this.write(() =>
      this.db.prepare(PUT_CONTAINER).run(container.id, container.node, JSON.stringify(container)),
    );
  }

  async instances(): Promise<InstanceRecord[]> {
    return this.docs<InstanceRecord>('SELECT doc FROM instances ORDER BY name');
  }

  async containers(): Promise<ContainerRecord[]> {
    return this.docs<ContainerRecord>('SELECT doc FROM containers ORDER BY id');
  }

  async putClient(client: ClientRecord): Promise<void> {
    this.write(() =>
      this.db
        .prepare('INSERT OR REPLACE INTO clients (name, doc) VALUES (?, ?)')
        .run(client.name, JSON.stringify(client)),
    );
  }

  async removeClient(name: string): Promise<boolean> {
    return this.write(
      () => this.db.prepare('DELETE FROM clients WHERE name = ?').run(name).changes > 0,
    );
  }

  async clients(): Promise<ClientRecord[]> {
    return this.docs<ClientRecord>('SELECT doc FROM clients ORDER BY name');
  }

  async client(name: string): Promise<ClientRecord | undefined> {
    return this.read(() => {
      const row = this.db.prepare('SELECT doc FROM clients WHERE name = ?').get(name) as { doc: string } | undefined; // prettier-ignore
      return row ? (JSON.parse(row.doc) as ClientRecord) : undefined;
    });
  }

  async claimDomain(domain: string, client: string): Promise<{ owner: string; claimed: boolean }> {
    // One immediate transaction: no other writer between the insert and the read.
    return this.write(() => {
      const claimed =
        this.db.prepare('INSERT OR IGNORE INTO domains (domain, client) VALUES (?, ?)').run(domain, client).changes > 0; // prettier-ignore
      const { client: owner } = this.db.prepare('SELECT client FROM domains WHERE domain = ?').get(domain) as { client: string }; // prettier-ignore
      return { owner, claimed };
    });
  }

  async setDomainOwner(domain: string, client: string | undefined): Promise<void> {
    this.write(
      () =>
      client === undefined
        ? this.db.prepare('DELETE FROM domains WHERE domain = ?').run(domain)
        : this.db.prepare('INSERT OR REPLACE INTO domains (domain, client) VALUES (?, ?)').run(domain, client), // prettier-ignore
    );
  }

  async domainOwners(): Promise<{ domain: string; client: string }[]> {
    return this.db.prepare('SELECT domain, client FROM domains ORDER BY domain').all() as { domain: string; client: string }[]; // prettier-ignore
  }

  async putImagePolicy(policy: ImagePolicy): Promise<void> {
    this.write(() =>
      this.db
        .prepare('INSERT OR REPLACE INTO image_policies (image, doc) VALUES (?, ?)')
        .run(policy.image, JSON.stringify(policy)),
    );
  }

  async removeImagePolicy(image: string): Promise<boolean> {
    return this.write(
      () => this.db.prepare('DELETE FROM image_policies WHERE image = ?').run(image).changes > 0,
    );
  }

  async imagePolicies(): Promise<ImagePolicy[]> {
    return this.docs<ImagePolicy>('SELECT doc FROM image_policies ORDER BY image');
  }

  async history(query: {
    kind?: MetricSample['kind'];
    subject?: string;
    since?: number;
  }): Promise<MetricSample[]> {
    const rows = this.read(
      () =>
        this.db
          .prepare(
            `SELECT at, kind, subject, cpu_milli, memory_mb, client, pool, replicas,
                    reserved_cpu_milli, reserved_memory_mb FROM samples
             WHERE (@kind IS NULL OR kind = @kind) AND (@subject IS NULL OR subject = @subject)
               AND at >= @since
             ORDER BY at, rowid`,
          )
          .all({
            kind: query.kind ?? null,
            subject: query.subject ?? null,
            since: query.since ?? 0,
          }) as SampleRow[],
    );
    return rows.map((r) => ({
      at: r.at,
      kind: r.kind,
      subject: r.subject,
      cpuMilli: r.cpu_milli ?? undefined,
      memoryMb: r.memory_mb,
      ...(r.client !== null ? { client: r.client } : {}),
      ...(r.pool !== null ? { pool: r.pool } : {}),
      ...(r.replicas !== null ? { replicas: r.replicas } : {}),
      ...(r.reserved_cpu_milli !== null
        ? { reserved: { cpuMilli: r.reserved_cpu_milli, memoryMb: r.reserved_memory_mb ?? 0 } }
        : {}),
    }));
  }

  async prune(now: number): Promise<void> {
    this.write(() => this.pruneNow(now));
  }

  async recordEvent(event: EventRecord): Promise<void> {
    this.write(() =>
      this.db
        .prepare(
          'INSERT INTO events (at, actor, action, subject, message) VALUES (@at, @actor, @action, @subject, @message)',
        )
        .run(event),
    );
  }

  async events(query: EventQuery = {}): Promise<EventRecord[]> {
    const rows = this.read(
      () =>
        this.db
          .prepare(
            `SELECT at, actor, action, subject, message FROM events WHERE at >= ?
             ORDER BY at DESC, seq DESC LIMIT ?`,
          )
          .all(query.since ?? 0, query.limit ?? -1) as EventRecord[],
    );
    return rows.reverse();
  }

  async addIntent(intent: ProvisioningIntent): Promise<void> {
    this.write(() =>
      this.db
        .prepare(
          `INSERT INTO intents (id, pool, driver, cloud, flavour, instance, state, created_at, updated_at, error, replaces)
           VALUES (@id, @pool, @driver, @cloud, @flavour, @instance, @state, @createdAt, @updatedAt, @error, @replaces)`,
        )
        .run({
          ...intent,
          cloud: intent.cloud ?? null,
          error: intent.error ?? null,
          replaces: intent.replaces ? JSON.stringify(intent.replaces) : null,
        }),
    );
  }

  async updateIntent(
    id: string,
    change: { state: IntentState; updatedAt: number; error?: string },
  ): Promise<void> {
    const changed = this.write(
      () =>
        this.db
          .prepare('UPDATE intents SET state = ?, updated_at = ?, error = ? WHERE id = ?')
          .run(change.state, change.updatedAt, change.error ?? null, id).changes,
    );
    if (changed === 0) throw new MicadoError('internal', `no provisioning intent ${id}`);
  }

  async openIntents(): Promise<ProvisioningIntent[]> {
    return this.intentRows(
      `SELECT * FROM intents WHERE state IN (${OPEN_INTENT_STATES.map(() => '?').join(', ')})
       ORDER BY created_at, id`,
      OPEN_INTENT_STATES,
    );
  }

  async intents(query: { since?: number } = {}): Promise<ProvisioningIntent[]> {
    return this.intentRows('SELECT * FROM intents WHERE created_at >= ? ORDER BY created_at, id', [
      query.since ?? 0,
    ]);
  }

  async recordMoves(slots: string[], at: number): Promise<void> {
    this.write(() => {
      const put = this.db.prepare(
        'INSERT INTO moves (slot, at) VALUES (?, ?) ON CONFLICT (slot) DO UPDATE SET at = MAX(at, excluded.at)',
      );
      for (const slot of slots) put.run(slot, at);
    });
  }

  async movesSince(since: number): Promise<TaskMove[]> {
    return this.read(
      () =>
        this.db
          .prepare('SELECT slot, at FROM moves WHERE at >= ? ORDER BY slot')
          .all(since) as TaskMove[],
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private addUsageNow(rows: UsageRow[]): void {
    const add = this.db.prepare(ADD_USAGE);
    for (const row of rows)
      for (const { grain, start } of atBothGrains(row)) add.run({ ...row, grain, start });
  }

  private pruneNow(now: number): void {
    this.db.prepare('DELETE FROM samples WHERE at < ?').run(now - this.retention.historyMs);
    this.db.prepare('DELETE FROM events WHERE at < ?').run(now - this.retention.eventsMs);
    this.db.prepare('DELETE FROM moves WHERE at < ?').run(now - this.retention.eventsMs);
    this.db.prepare('DELETE FROM usage WHERE start < ?').run(now - this.retention.usageMs);
  }

  private intentRows(sql: string, params: unknown[]): ProvisioningIntent[] {
    const rows = this.read(() => this.db.prepare(sql).all(...params) as IntentRow[]);
    return rows.map((r) => ({
      id: r.id,
      pool: r.pool,
      driver: r.driver,
      cloud: r.cloud ?? undefined,
      flavour: r.flavour,
      instance: r.instance,
      state: r.state,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      error: r.error ?? undefined,
      ...(r.replaces ? { replaces: JSON.parse(r.replaces) as string[] } : {}),
    }));
  }

  private docs<T>(sql: string): T[] {
    return this.read(() =>
      (this.db.prepare(sql).all() as { doc: string }[]).map((r) => JSON.parse(r.doc) as T),
    );
  }

  private read<T>(body: () => T): T {
    try {
      return body();
    } catch (err) {
      throw storeError(this.description, err);
    }
  }

  /** One write transaction, taking the write lock at its start. */
  private write<T>(body: () => T): T {
    try {
      return this.db.transaction(body).immediate();
    } catch (err) {
      if (err instanceof MicadoError) throw err;
      throw storeError(this.description, err);
    }
  }
}

/** What went wrong with the file, and what to do, in one line. */
function storeError(where: string, err: unknown): MicadoError {
  const code = (err as { code?: string }).code;
  const file = where.replace(/^sqlite store /, '');
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new MicadoError(
      'host',
      `the store ${file} is corrupt (${messageOf(err)}): move it aside and micado starts a new one`,
      { cause: err },
    );
  }
  if (
    /directory does not exist/.test(messageOf(err)) ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_PERM'
  ) {
    return new MicadoError(
      'host',
      `cannot open the store ${file} (${messageOf(err)}): check that its directory exists and is writable`,
      { cause: err },
    );
  }
  if (code?.startsWith('SQLITE_CONSTRAINT')) {
    return new MicadoError('conflict', `${where}: already recorded (${messageOf(err)})`, {
      cause: err,
    });
  }
  if (code === 'SQLITE_BUSY') {
    return new MicadoError('transient', `the store ${file} stayed locked: try again`, {
      cause: err,
    });
  }
  return new MicadoError('host', `the store ${file} failed: ${messageOf(err)}`, { cause: err });
}
