/** SwarmClient over dockerode: the one place micado talks to a Docker engine. */
import Docker from 'dockerode';
import { PassThrough, Readable } from 'node:stream';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { dockerError, messageOf } from '../errors.js';
import { serviceBody, toNode, toService, toTask } from './engine-mapping.js';
import { Demultiplexer, followProgress, jsonLines } from './engine-streams.js';
import { versionedUpdate } from './versioned-update.js';
import type {
  AttachedIo,
  BuildProgress,
  BuildStepLimits,
  ContainerStats,
  EngineContainer,
  EngineEvent,
  EngineInfo,
  EventFilters,
  ExecResult,
  ListFilters,
  LogOptions,
  PathStat,
  ServiceSpec,
  ServiceUpdate,
  SwarmClient,
  SwarmNode,
  SwarmService,
  SwarmTask,
} from './swarm-client.js';

export interface EngineOptions {
  /** Abandon any one request after this long. */
  timeoutMs?: number;
  /**
   * The account to present to each registry (by host:port) when this engine pushes,
   * pulls or builds, and with each service made or re-imaged, so Swarm hands it to the
   * nodes that pull the service's image.
   */
  registryAuths?: Record<string, RegistryCredentials>;
}

export interface RegistryCredentials {
  username: string;
  password: string;
}

export type EngineAddress =
  | { socketPath: string }
  | {
      host: string;
      port: number;
      tls?: { ca: string; cert: string; key: string };
      /** The name the engine's certificate must carry (its instance), when not its host. */
      serverName?: string;
    };

/** The parts of a node's spec micado changes; the rest is written back as read. */
interface NodeSpec {
  Labels?: Record<string, string>;
  Availability?: string;
}

/** The parts of a service's spec micado changes; the rest is written back as read. */
interface ServiceSpecBody {
  Labels?: Record<string, string>;
  Mode?: unknown;
  TaskTemplate: { ContainerSpec: { Image?: string }; ForceUpdate?: number };
}

/** The engine's message, without dockerode's "(HTTP code 404) no such node -" prefix. */
function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return json?.message ?? messageOf(err);
}

export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw dockerError(`${what}: ${engineMessage(err)}`, err);
  }
}

/** A kept-alive connection the engine closed as it was reused: nothing reached the engine. */
const isConnectionReset = (err: unknown) =>
  ['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '');

/** A read, asked once more on a fresh connection when a reused one was found reset. */
async function read<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return call(what, () =>
    fn().catch((err: unknown) => (isConnectionReset(err) ? fn() : Promise.reject(err))),
  );
}

/** Check a peer's certificate against `name` rather than the address dialled. */
function serverIdentity(name: string) {
  return (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert);
}

export class DockerSwarmClient implements SwarmClient {
  private readonly docker: Docker;
  private readonly registryAuths: Record<string, RegistryCredentials>;

  constructor(address: EngineAddress, options: EngineOptions = {}) {
    this.registryAuths = options.registryAuths ?? {};
    const timeout = options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs };
    this.docker =
      'socketPath' in address
        ? new Docker({ socketPath: address.socketPath, ...timeout })
        : new Docker({
            host: address.host,
            port: address.port,
            protocol: address.tls ? 'https' : 'http',
            ...(address.tls ?? {}),
            ...(address.serverName === undefined
              ? {}
              : { checkServerIdentity: serverIdentity(address.serverName) }),
            ...timeout,
          });
  }

  async ping(): Promise<void> {
    await read('engine ping', () => this.docker.ping());
  }

  async info(): Promise<EngineInfo> {
    const raw = await read('engine info', () => this.docker.info());
    return {
      id: raw.ID,
      hostname: raw.Name,
      serverVersion: raw.ServerVersion,
      swarm: {
        nodeId: raw.Swarm?.NodeID ?? '',
        state: raw.Swarm?.LocalNodeState ?? 'inactive',
        isManager: Boolean(raw.Swarm?.ControlAvailable),
      },
      labels: raw.Labels ?? [],
    };
  }

  async initSwarm(advertiseAddr: string): Promise<string> {
    return call('swarm init', () =>
      this.docker.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: advertiseAddr }),
    ) as Promise<string>;
  }

  async joinTokens(): Promise<{ worker: string; manager: string }> {
    const raw = await call('swarm inspect', () => this.docker.swarmInspect());
    return { worker: raw.JoinTokens.Worker, manager: raw.JoinTokens.Manager };
  }

  async rotateWorkerToken(): Promise<void> {
    await call('swarm update', async () => {
      const raw = await this.docker.swarmInspect();
      await this.docker.swarmUpdate({
        _query: { version: raw.Version.Index, rotateWorkerToken: true },
        _body: raw.Spec,
      });
    });
  }

  async joinSwarm(managerAddr: string, token: string, advertiseAddr: string): Promise<void> {
    await call('swarm join', () =>
      this.docker.swarmJoin({
        RemoteAddrs: [managerAddr],
        JoinToken: token,
        ListenAddr: '0.0.0.0:2377',
        AdvertiseAddr: advertiseAddr,
      }),
    );
  }

  async leaveSwarm(force: boolean): Promise<void> {
    await call('swarm leave', () => this.docker.swarmLeave({ force }));
  }

  async listNodes(filters?: ListFilters): Promise<SwarmNode[]> {
    const raw = await call('node list', () =>
      this.docker.listNodes({ filters: JSON.stringify(filters ?? {}) }),
    );
    return raw.map(toNode);
  }

  async inspectNode(id: string): Promise<SwarmNode> {
    return toNode(await read(`node ${id}`, () => this.docker.getNode(id).inspect()));
  }

  async updateNode(
    id: string,
    change: { labels?: Record<string, string>; availability?: SwarmNode['availability'] },
  ): Promise<void> {
    const node = this.docker.getNode(id);
    await call(`update node ${id}`, () =>
      versionedUpdate(
        async () => {
          const raw = await node.inspect();
          return { version: raw.Version.Index as number, spec: raw.Spec as NodeSpec };
        },
        (spec) => ({
          ...spec,
          ...(change.labels ? { Labels: { ...(spec.Labels ?? {}), ...change.labels } } : {}),
          ...(change.availability ? { Availability: change.availability } : {}),
        }),
        (version, spec) => node.update({ _query: { version }, _body: spec }),
      ),
    );
  }

  async removeNode(id: string, force: boolean): Promise<void> {
    await call(`remove node ${id}`, () => this.docker.getNode(id).remove({ force }));
  }

  /**
   * The auth header's content for an image's registry. The engine insists on one even
   * for a registry that needs none, so a registry without an account gets its name alone.
   */
  private authFor(image: string): Record<string, string> {
    const serveraddress = image.split('/')[0]!;
    return { ...this.registryAuths[serveraddress], serveraddress };
  }

  async createService(spec: ServiceSpec): Promise<string> {
    const created = await call(`create service ${spec.name}`, () =>
      this.docker.createService(this.authFor(spec.image), serviceBody(spec)),
    );
    return (created as { id?: string; ID?: string }).id ?? (created as { ID: string }).ID;
  }

  async inspectService(idOrName: string): Promise<SwarmService> {
    return toService(
      await read(`service ${idOrName}`, () => this.docker.getService(idOrName).inspect()),
    );
  }

  async listServices(filters?: ListFilters): Promise<SwarmService[]> {
    const raw = await call('service list', () =>
      this.docker.listServices({ filters: JSON.stringify(filters ?? {}) }),
    );
    return raw.map(toService);
  }

  async updateService(idOrName: string, change: ServiceUpdate): Promise<void> {
    const service = this.docker.getService(idOrName);
    await call(`update service ${idOrName}`, () =>
      versionedUpdate(
        async () => {
          const raw = await service.inspect();
          return { version: raw.Version.Index as number, spec: raw.Spec as ServiceSpecBody };
        },
        (spec) => {
          if (change.replicas !== undefined)
            spec.Mode = { Replicated: { Replicas: change.replicas } };
          if (change.image !== undefined) spec.TaskTemplate.ContainerSpec.Image = change.image;
          if (change.labels) spec.Labels = { ...(spec.Labels ?? {}), ...change.labels };
          if (change.force)
            spec.TaskTemplate.ForceUpdate = (spec.TaskTemplate.ForceUpdate ?? 0) + 1;
          return spec;
        },
        (version, spec) =>
          change.image === undefined
            ? service.update({ _query: { version }, _body: spec })
            : service.update({ authconfig: this.authFor(change.image), _query: { version }, _body: spec }), // prettier-ignore
      ),
    );
  }

  async removeService(idOrName: string): Promise<void> {
    await call(`remove service ${idOrName}`, () => this.docker.getService(idOrName).remove());
  }

  async listTasks(filters?: ListFilters): Promise<SwarmTask[]> {
    const raw = await call('task list', () =>
      this.docker.listTasks({ filters: JSON.stringify(filters ?? {}) }),
    );
    return raw.map(toTask);
  }

  async importImage(rootfs: Readable, repository: string, tag: string): Promise<void> {
    const stream = await call(`import ${repository}:${tag}`, () =>
      this.docker.importImage(rootfs, { repo: repository, tag }),
    );
    await followProgress(stream as Readable, `import ${repository}:${tag}`);
  }

  async buildImage(
    context: Readable,
    tag: string,
    onProgress?: (p: BuildProgress) => void,
    steps?: BuildStepLimits,
  ): Promise<void> {
    const limits = steps && {
      networkmode: steps.network,
      // Swap counted in: a step gets this much memory, and no more from swap.
      memory: steps.memoryBytes,
      memswap: steps.memoryBytes,
      cpuperiod: 100_000,
      cpuquota: Math.round(steps.cpus * 100_000),
    };
    const stream = await call(
      `build ${tag}`,
      () =>
      // Every account goes with a build: its FROM may be pulled from either address.
      this.docker.buildImage(context, { t: tag, rm: true, forcerm: true, registryconfig: this.registryAuths, ...limits }), // prettier-ignore
    );
    await followProgress(stream as unknown as Readable, `build ${tag}`, onProgress);
  }

  async saveImage(name: string): Promise<Readable> {
    return call(`save ${name}`, () => this.docker.getImage(name).get()) as Promise<Readable>;
  }

  async loadImage(tarball: Readable): Promise<void> {
    const stream = await call('image load', () => this.docker.loadImage(tarball));
    await followProgress(stream as unknown as Readable, 'image load');
  }

  async tagImage(source: string, repository: string, tag: string): Promise<void> {
    await call(`tag ${source}`, async () => {
      await this.docker.getImage(source).tag({ repo: repository, tag });
    });
  }

  async pushImage(name: string, onProgress?: (p: BuildProgress) => void): Promise<void> {
    const stream = await call(`push ${name}`, () =>
      this.docker.getImage(name).push({ authconfig: this.authFor(name) }),
    );
    await followProgress(stream as unknown as Readable, `push ${name}`, onProgress);
  }

  async pullImage(name: string): Promise<void> {
    const stream = await call(`pull ${name}`, () =>
      this.docker.pull(name, { authconfig: this.authFor(name) }),
    );
    await followProgress(stream as unknown as Readable, `pull ${name}`);
  }

  async ensureOverlayNetwork(name: string, labels: Record<string, string>): Promise<void> {
    // The engine's name filter matches parts of names: the exact one is looked for.
    const exists = async () =>
      (await read('list networks', () => this.docker.listNetworks({ filters: JSON.stringify({ name: [name] }) })))
        .some((n) => n.Name === name); // prettier-ignore
    if (await exists()) return;
    try {
      await this.docker.createNetwork({ Name: name, Driver: 'overlay', Labels: labels, CheckDuplicate: true }); // prettier-ignore
    } catch (err) {
      // Made meanwhile by another process: as good as made here.
      if ((err as { statusCode?: number }).statusCode === 409 && (await exists())) return;
      throw dockerError(`create network ${name}: ${engineMessage(err)}`, err);
    }
  }

  async removeNetwork(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).remove();
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      // In use by a service, or a task still being torn down.
      if ([403, 409].includes((err as { statusCode?: number }).statusCode ?? 0)) return false;
      throw dockerError(`remove network ${name}: ${engineMessage(err)}`, err);
    }
  }

  async removeImage(name: string): Promise<void> {
    await call(`remove image ${name}`, () => this.docker.getImage(name).remove({ force: true }));
  }

  async hasImage(name: string): Promise<boolean> {
    try {
      await this.docker.getImage(name).inspect();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw dockerError(`image ${name}: ${engineMessage(err)}`, err);
    }
  }

  async serviceLogs(idOrName: string, options: LogOptions): Promise<Readable> {
    return readLogs(`logs of ${idOrName}`, this.docker.getService(idOrName), options);
  }

  async listContainers(filters: ListFilters = {}): Promise<EngineContainer[]> {
    const raw = await read('list containers', () =>
      this.docker.listContainers({ filters: JSON.stringify(filters) }),
    );
    return raw.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      createdAt: c.Created * 1000,
      labels: c.Labels ?? {},
      addresses: Object.values(c.NetworkSettings?.Networks ?? {})
        .map((n) => n.IPAddress)
        .filter((a): a is string => Boolean(a)),
    }));
  }

  async containerStats(id: string): Promise<ContainerStats> {
    const raw = await read(`stats of ${id}`, () =>
      this.docker.getContainer(id).stats({ stream: false, 'one-shot': true }),
    );
    const memory = raw.memory_stats ?? {};
    const stats = (memory.stats ?? {}) as Record<string, number | undefined>;
    // cgroup v1 counts reclaimable cache as total_inactive_file, v2 as inactive_file.
    const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
    const usage = memory.usage ?? 0;
    return {
      cpuTotalNs: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryBytes: inactive < usage ? usage - inactive : usage,
      readAt: Date.parse(raw.read) || Date.now(),
    };
  }

  async containerLogs(id: string, options: LogOptions): Promise<Readable> {
    return readLogs(`logs of ${id}`, this.docker.getContainer(id), options);
  }

  async exec(containerId: string, argv: string[]): Promise<ExecResult> {
    const container = this.docker.getContainer(containerId);
    const exec = await call(`exec in ${containerId}`, () =>
      container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true }),
    );
    const stream = await call(`exec in ${containerId}`, () =>
      exec.start({ hijack: true, stdin: false }),
    );
    const stderr: Buffer[] = [];
    const stdout: Buffer[] = [];
    const demux = new Demultiplexer((chunk) => stderr.push(chunk));
    stream.pipe(demux);
    for await (const chunk of demux) stdout.push(chunk as Buffer);
    const inspected = await call(`exec in ${containerId}`, () => exec.inspect());
    return {
      exitCode: inspected.ExitCode ?? -1,
      stdout: Buffer.concat(stdout).toString(),
      stderr: Buffer.concat(stderr).toString(),
    };
  }

  async execAttached(containerId: string, argv: string[], io: AttachedIo): Promise<number> {
    const container = this.docker.getContainer(containerId);
    const exec = await call(`exec in ${containerId}`, () =>
      container.exec({
        Cmd: argv,
        AttachStdin: io.stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: io.tty,
      }),
    );
    const stream = await call(`exec in ${containerId}`, () =>
      exec.start({ hijack: true, stdin: io.stdin !== undefined, Tty: io.tty }),
    );
    if (io.tty && io.size) {
      await exec.resize({ h: io.size.rows, w: io.size.columns }).catch(() => undefined);
    }
    const finished = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    if (io.tty) stream.pipe(io.stdout, { end: false });
    else
      stream
        .pipe(new Demultiplexer((chunk) => io.stderr.write(chunk)))
        .pipe(io.stdout, { end: false });
    // Our input ending closes the command's input, and nothing more (the stream stays
    // open for its output): half-close rather than end.
    io.stdin?.on('data', (chunk) => stream.write(chunk));
    io.stdin?.on('end', () => (stream as unknown as { end(): void }).end());
    await finished;
    io.stdin?.pause();
    const inspected = await call(`exec in ${containerId}`, () => exec.inspect());
    return inspected.ExitCode ?? 1;
  }

  async putArchive(containerId: string, directory: string, tar: Readable): Promise<void> {
    await call(`copy into ${containerId}:${directory}`, () =>
      this.docker.getContainer(containerId).putArchive(tar, { path: directory }),
    );
  }

  async getArchive(containerId: string, path: string): Promise<Readable> {
    return call(`copy from ${containerId}:${path}`, () =>
      this.docker.getContainer(containerId).getArchive({ path }),
    ) as Promise<Readable>;
  }

  async statPath(containerId: string, path: string): Promise<PathStat | undefined> {
    try {
      // A HEAD answer: the stat travels in a header of the response stream.
      const response = (await this.docker
        .getContainer(containerId)
        .infoArchive({ path })) as unknown as { headers: Record<string, string>; resume(): void };
      response.resume();
      const encoded = response.headers['x-docker-container-path-stat'];
      if (!encoded) return undefined;
      const stat = JSON.parse(Buffer.from(encoded, 'base64').toString()) as {
        name: string;
        size: number;
        mode: number;
      };
      // Go's os.ModeDir is the top bit of a 32-bit mode.
      return { name: stat.name, size: stat.size, isDirectory: (stat.mode & 0x80000000) !== 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw dockerError(`stat ${containerId}:${path}: ${engineMessage(err)}`, err);
    }
  }

  async *events(filters: EventFilters, signal: AbortSignal): AsyncIterable<EngineEvent> {
    let stream: Readable;
    try {
      stream = (await this.docker.getEvents({
        filters: filters as Record<string, string[]>,
        abortSignal: signal,
      })) as Readable;
    } catch (err) {
      // Aborted before the engine answered: the caller no longer wants any event.
      if (signal.aborted) return;
      throw dockerError(`event stream: ${engineMessage(err)}`, err);
    }
    const stop = () => stream.destroy();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const raw of jsonLines(stream)) {
        const event = raw as {
          Type: string;
          Action: string;
          Actor?: { ID: string; Attributes?: Record<string, string> };
          timeNano: number;
        };
        yield {
          type: event.Type,
          action: event.Action,
          id: event.Actor?.ID ?? '',
          attributes: event.Actor?.Attributes ?? {},
          timeNano: event.timeNano,
        };
      }
    } catch (err) {
      if (!signal.aborted) throw dockerError(`event stream: ${messageOf(err)}`, err);
    } finally {
      signal.removeEventListener('abort', stop);
      stream.destroy();
    }
  }
}

/** Services and containers answer logs alike; dockerode's types tell them apart. */
async function readLogs(
  what: string,
  source: { logs(query: never): unknown },
  options: LogOptions,
): Promise<Readable> {
  const query = { ...logQuery(options), follow: options.follow ?? false };
  const raw = await call(what, () => source.logs(query as never) as Promise<unknown>);
  return demultiplexed(raw as Readable | Buffer);
}

function logQuery(options: LogOptions) {
  return {
    stdout: true,
    stderr: true,
    timestamps: options.timestamps ?? false,
    ...(options.tail === undefined ? {} : { tail: options.tail }),
  };
}

/** Logs come as a Buffer when not following and as a stream when following. */
function demultiplexed(raw: Readable | Buffer): Readable {
  const demux = new Demultiplexer();
  const source = Buffer.isBuffer(raw) ? Readable.from([raw]) : raw;
  source.pipe(demux);
  const out = new PassThrough();
  demux.pipe(out);
  out.on('close', () => (source as Readable).destroy?.());
  return out;
}
