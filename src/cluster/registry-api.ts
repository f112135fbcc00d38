/**
 * The private registry's HTTP API, as the manager uses it: over TLS checked against
 * the cluster's CA, with an account of the registry's. Node's https with one
 * keep-alive agent per endpoint (a launch asks two or three things in a row).
 */
import { Agent, request } from 'node:https';
import type { RegistryAccount } from './registry-accounts.js';

/** Where a registry listens (host:port), the CA its certificate comes from, and who asks. */
export interface RegistryEndpoint {
  address: string;
  ca: string;
  account: RegistryAccount;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** A manifest, or a list of them (an index) for several platforms. */
interface ManifestJson {
  config?: { digest?: string };
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

/** An image's configuration blob, as far as micado reads it. */
interface ImageConfigJson {
  config?: { ExposedPorts?: Record<string, unknown> };
}

export class RegistryApi {
  private readonly agent: Agent;
  private readonly authorization: string;

  constructor(readonly endpoint: RegistryEndpoint) {
    // Idle sockets are unref'd by the agent: they never hold a CLI open.
    this.agent = new Agent({ ca: endpoint.ca, keepAlive: true, maxSockets: 8 });
    const { username, password } = endpoint.account;
    this.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  /** True when the registry answers this account (false for no answer, or a refusal). */
  async answers(timeoutMs = 1000): Promise<boolean> {
    return (await this.ask('GET', '/v2/', {}, timeoutMs).catch(() => undefined))?.status === 200;
  }

  /** The digest of `repository:tag`'s manifest; undefined when the registry lacks it. */
  async digest(repository: string, tag: string): Promise<string | undefined> {
    const answer = await this.ask('HEAD', `/v2/${repository}/manifests/${tag}`, { accept: MANIFEST_TYPES }); // prettier-ignore
    if (answer.status === 404) return undefined;
    this.expectOk(answer, repository);
    const digest = answer.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : undefined;
  }

  /**
   * The TCP ports the image `repository:tag` declares it listens on (its EXPOSE lines),
   * lowest first; undefined when the registry does not hold it. Of a multi-platform
   * image, the linux/amd64 one's (or the first's).
   */
  async exposedPorts(repository: string, tag: string): Promise<number[] | undefined> {
    let manifest = await this.json<ManifestJson>(`/v2/${repository}/manifests/${tag}`, repository, MANIFEST_TYPES); // prettier-ignore
    if (manifest?.manifests) {
      const entries = manifest.manifests;
      const chosen =
        entries.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') ??
        entries[0];
      manifest = chosen
        ? await this.json<ManifestJson>(`/v2/${repository}/manifests/${chosen.digest}`, repository, MANIFEST_TYPES) // prettier-ignore
        : undefined;
    }
    const digest = manifest?.config?.digest;
    if (!digest) return undefined;
    const image = await this.json<ImageConfigJson>(`/v2/${repository}/blobs/${digest}`, repository);
    return Object.keys(image?.config?.ExposedPorts ?? {})
      .map((key) => /^(\d+)(?:\/tcp)?$/.exec(key)?.[1])
      .filter((port): port is string => port !== undefined)
      .map(Number)
      .filter((port) => port >= 1 && port <= 65_535)
      .sort((a, b) => a - b);
  }

  /** The repositories the registry holds. */
  async repositories(): Promise<string[]> {
    const repositories: string[] = [];
    // A page at a time, as the registry's Link header leads.
    for (let path: string | undefined = '/v2/_catalog?n=1000'; path;) {
      const answer = await this.ask('GET', path);
      this.expectOk(answer, 'the catalog');
      const page = JSON.parse(answer.body.toString('utf8')) as { repositories?: string[] };
      repositories.push(...(page.repositories ?? []));
      const link = answer.headers.link;
      path = /<([^>]+)>;\s*rel="next"/.exec(typeof link === 'string' ? link : '')?.[1];
    }
    return repositories;
  }

  /**
   * Delete every tag of `repository` (its manifests; the registry's own garbage
   * collection frees the layers). Resolves with the tags deleted.
   */
  async deleteRepository(repository: string): Promise<string[]> {
    const list = await this.json<{ tags?: string[] | null }>(`/v2/${repository}/tags/list`, repository); // prettier-ignore
    const deleted: string[] = [];
    for (const tag of list?.tags ?? []) {
      const digest = await this.digest(repository, tag);
      if (!digest) continue;
      const gone = await this.ask('DELETE', `/v2/${repository}/manifests/${digest}`);
      if (gone.status === 202 || gone.status === 200 || gone.status === 404) deleted.push(tag);
      else this.expectOk(gone, repository);
    }
    return deleted;
  }

  private async json<T>(path: string, what: string, accept?: string): Promise<T | undefined> {
    const answer = await this.ask('GET', path, accept ? { accept } : {});
    if (answer.status === 404) return undefined;
    this.expectOk(answer, what);
    return JSON.parse(answer.body.toString('utf8')) as T;
  }

  private expectOk(answer: Answer, what: string): void {
    if (answer.status >= 200 && answer.status < 300) return;
    const why = answer.status === 401 ? ': the account was refused (see registry/accounts.json)' : ''; // prettier-ignore
    throw new Error(`the registry ${this.endpoint.address} answered ${answer.status} for ${what}${why}`); // prettier-ignore
  }

  private ask(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    timeoutMs = 5_000,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        `https://${this.endpoint.address}${path}`,
        { method, agent: this.agent, timeout: timeoutMs, headers: { ...headers, authorization: this.authorization } }, // prettier-ignore
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on(
            'end',
            () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }), // prettier-ignore
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the registry ${this.endpoint.address} did not answer within ${timeoutMs} ms`))); // prettier-ignore
      req.on('error', reject);
      req.end();
    });
  }
}
