import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { causeChain } from '../errors.js';
import { CloudBrokerClient } from './cloudbroker-client.js';
import { CloudBrokerError } from './cloudbroker-error.js';

/** What the scripted server answers: a status and XML body, or silence (a timeout). */
type Answer = { status: number; body: string } | 'hang';
type Handler = (request: IncomingMessage & { path: string; body: string }) => Answer;

const EMAIL = 'user@example.org';
const PASSWORD = 's3cret-Passw0rd';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A loopback HTTP server answering each request with the first handler that matches. */
async function scripted(handlers: [RegExp, Handler][]) {
  const seen: { method: string; path: string; body: string; auth: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({ method: req.method ?? '', path, body, auth: req.headers.authorization ?? '' });
      const match = handlers.find(([pattern]) => pattern.test(`${req.method} ${path}`));
      const answer = match
        ? match[1](Object.assign(req, { path, body }))
        : { status: 404, body: '<errors><error>404: record not found</error></errors>' };
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'Content-Type': 'application/xml' }).end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new CloudBrokerClient({
    baseUrl: `http://127.0.0.1:${port}/`,
    email: EMAIL,
    password: PASSWORD,
    timeoutMs: 300,
    readAttempts: 3,
    pageSize: 2,
    sleep: async () => undefined,
    random: () => 0.5,
  });
  return { client, seen };
}

const ok = (body: string): Answer => ({ status: 200, body });
const jobSpec = (name: string) => ({
  name,
  softwareId: 's',
  executableId: 'e',
  resourceId: 'r',
  regionId: 'g',
  instanceTypeId: 't',
  permanentlyRunning: true,
});
const jobsXml = (...jobs: [string, string, string][]) =>
  `<jobs type="array">${jobs.map(([id, name, status]) => `<job><id>${id}</id><name>${name}</name><status>${status}</status></job>`).join('')}</jobs>`;

async function failure(promise: Promise<unknown>): Promise<CloudBrokerError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(CloudBrokerError);
  return error as CloudBrokerError;
}

describe('CloudBroker client', () => {
  it('lists page by page with Basic auth', async () => {
    const { client, seen } = await scripted([
      [
        /page=1/,
        () =>
          ok(
            '<softwares type="array"><software><id>1</id><name>a</name></software><software><id>2</id><name>b</name></software></softwares>',
          ),
      ],
      [
        /page=2/,
        () =>
          ok('<softwares type="array"><software><id>3</id><name>c</name></software></softwares>'),
      ],
    ]);
    const records = await client.list('softwares');
    expect(records.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(seen.map((s) => s.path)).toEqual([
      '/softwares.xml?page=1&per_page=2',
      '/softwares.xml?page=2&per_page=2',
    ]);
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')}`);
  });

  it('reads a record with dashed names, and an empty list', async () => {
    const { client } = await scripted([
      [
        /GET \/instance_types\/7\.xml/,
        () =>
          ok(
            '<instance-type><id>7</id><name>small</name><memory-size>512</memory-size></instance-type>',
          ),
      ],
      [/GET \/regions\.xml/, () => ok('<regions type="array"></regions>')],
    ]);
    expect(await client.get('instance_types', '7')).toEqual({
      id: '7',
      name: 'small',
      'memory-size': '512',
    });
    expect(await client.list('regions')).toEqual([]);
  });

  it.each([
    [
      'wrong status',
      422,
      '<errors><error>Job cannot be stopped</error><type>wrong status</type></errors>',
      'wrong status',
      /Job cannot be stopped/,
    ],
    [
      'missing rights',
      403,
      '<errors><error>not allowed</error><type>missing rights</type></errors>',
      'missing rights',
      /not allowed/,
    ],
    [
      'authentication',
      401,
      '<errors><error>Invalid email or password</error><type>authentication</type></errors>',
      'authentication',
      /Invalid email or password/,
    ],
    [
      'a missing record',
      404,
      '<errors><error>404: record not found</error></errors>',
      'not found',
      /404: record not found/,
    ],
    [
      'several messages',
      422,
      '<errors><error>one</error><error>two</error><type>wrong status</type></errors>',
      'wrong status',
      /one; two/,
    ],
    [
      'a 400 of an unknown type (refused: asked again, refused again)',
      400,
      '<errors><error>odd</error><type>mystery</type></errors>',
      'refused',
      /odd/,
    ],
    ['malformed XML', 200, '<jobs><job><id>1</id></jobs', 'protocol', /malformed XML/],
    [
      'an entity bomb',
      200,
      '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><jobs>&b;</jobs>',
      'protocol',
      /DOCTYPE/,
    ],
    ['an unexpected document', 200, '<html>hello</html>', 'protocol', /expected <jobs>/],
  ] as [string, number, string, string, RegExp][])(
    'reports %s',
    async (_, status, body, fault, message) => {
      const { client } = await scripted([[/GET \/jobs/, () => ({ status, body })]]);
      const error = await failure(client.list('jobs'));
      expect(error.fault).toBe(fault);
      expect(error.message).toMatch(message);
    },
  );

  it('refuses an oversized answer', async () => {
    const big = `<jobs>${'<job><id>1</id></job>'.repeat(250_000)}</jobs>`;
    const { client } = await scripted([[/GET \/jobs/, () => ok(big)]]);
    expect((await failure(client.list('jobs'))).message).toMatch(/larger than/);
  });

  it('retries reads through 5xx and timeouts, then gives up', async () => {
    let calls = 0;
    const { client } = await scripted([
      [
        /GET \/regions/,
        () =>
          ++calls === 1
            ? { status: 503, body: '' }
            : calls === 2
              ? 'hang'
              : ok('<regions><region><id>r</id><name>eu</name></region></regions>'),
      ],
      [/GET \/resources/, () => ({ status: 500, body: '<errors><error>boom</error></errors>' })],
    ]);
    expect((await client.list('regions')).map((r) => r.id)).toEqual(['r']);
    expect(calls).toBe(3);
    const error = await failure(client.list('resources'));
    expect(error.fault).toBe('unavailable');
    expect(error.kind).toBe('transient');
  });

  it('refuses a server that repeats the same page', async () => {
    const { client } = await scripted([
      [
        /GET \/regions/,
        () => ok('<regions><region><id>1</id></region><region><id>2</id></region></regions>'),
      ],
    ]);
    expect((await failure(client.list('regions'))).message).toMatch(/repeats page 1 as page 2/);
  });

  it('looks names up once', async () => {
    let lists = 0;
    const { client } = await scripted([
      [
        /GET \/resources/,
        () => (
          lists++,
          ok('<resources><resource><id>r1</id><name>CloudSigma</name></resource></resources>')
        ),
      ],
    ]);
    expect(await client.idOf('resources', 'CloudSigma')).toBe('r1');
    expect(await client.idOf('resources', 'CloudSigma')).toBe('r1');
    expect(lists).toBe(1);
    expect((await failure(client.idOf('resources', 'Nowhere'))).message).toMatch(
      /no resource named 'Nowhere' \(known: CloudSigma\)/,
    );
  });

  it('creates a job with the documented fields, and finds an existing one instead of making another', async () => {
    const { client, seen } = await scripted([
      [/GET \/jobs\.xml/, () => ok(jobsXml(['j0', 'micado-i-0', 'running']))],
      [
        /POST \/jobs\.xml/,
        () => ({
          status: 201,
          body: '<job><id>j1</id><name>micado-i-1</name><status>created</status></job>',
        }),
      ],
    ]);
    const spec = jobSpec('micado-i-1');
    expect(await client.createJob(spec)).toEqual({
      id: 'j1',
      name: 'micado-i-1',
      status: 'created',
    });
    const post = seen.find((s) => s.method === 'POST')!;
    expect(post.body).toContain('<job><name>micado-i-1</name><software-id>s</software-id>');
    expect(post.body).toContain(
      '<instance-type-id>t</instance-type-id><permanently-running>true</permanently-running>',
    );
    expect(await client.createJob({ ...spec, name: 'micado-i-0' })).toEqual({
      id: 'j0',
      name: 'micado-i-0',
      status: 'running',
    });
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });

  it('never makes a second job when a create answer is lost', async () => {
    const jobs: [string, string, string][] = [];
    let posts = 0;
    const { client } = await scripted([
      [/GET \/jobs\.xml/, () => ok(jobsXml(...jobs))],
      [/POST \/jobs\.xml/, () => {
        posts++;
        jobs.push(['j1', 'micado-i-2', 'created']);
        return { status: 502, body: '' }; // made, but the answer is lost
      }],
    ]); // prettier-ignore
    const spec = jobSpec('micado-i-2');
    expect(await client.createJob(spec)).toMatchObject({ id: 'j1' });
    expect(posts).toBe(1);
  });

  it('creates again only when the lost create made nothing', async () => {
    let posts = 0;
    const jobs: [string, string, string][] = [];
    const { client } = await scripted([
      [/GET \/jobs\.xml/, () => ok(jobsXml(...jobs))],
      [/POST \/jobs\.xml/, () => {
        if (++posts === 1) return 'hang';
        jobs.push(['j9', 'micado-i-3', 'created']);
        return { status: 201, body: '<job><id>j9</id><name>micado-i-3</name><status>created</status></job>' };
      }],
    ]); // prettier-ignore
    const spec = jobSpec('micado-i-3');
    expect(await client.createJob(spec)).toMatchObject({ id: 'j9' });
    expect(posts).toBe(2);
  });

  it('treats a submit or stop that already happened as done, and a delete of nothing as done', async () => {
    let status = 'submitted';
    const { client } = await scripted([
      [
        /PUT \/jobs\/j1\/(submit|stop)\.xml/,
        () => ({
          status: 422,
          body: '<errors><error>wrong status</error><type>wrong status</type></errors>',
        }),
      ],
      [
        /GET \/jobs\/j1\.xml/,
        () => ok(`<job><id>j1</id><name>n</name><status>${status}</status></job>`),
      ],
      [
        /DELETE \/jobs\/j1\.xml/,
        () => ({ status: 404, body: '<errors><error>404: record not found</error></errors>' }),
      ],
    ]);
    await client.submitJob('j1');
    status = 'completed';
    await client.stopJob('j1');
    await client.deleteJob('j1');
    status = 'created';
    expect((await failure(client.submitJob('j1'))).fault).toBe('wrong status');
  });

  it("gives an instance's external address, else its internal one, else none", async () => {
    const { client, seen } = await scripted([
      [/GET \/instances\.xml\?job_id=j&page=1/, () => ok(
        '<instances>' +
          '<instance><id>a</id><job-id>j</job-id><status>running</status><external-ip-address>10.0.0.5</external-ip-address><internal-ip-address>192.168.0.5</internal-ip-address></instance>' +
          '<instance><id>b</id><job-id>j</job-id><status>starting</status><external-ip-address>not allocated</external-ip-address><internal-ip-address>192.168.0.6</internal-ip-address></instance>' +
        '</instances>')],
      [/GET \/instances\.xml\?job_id=j&page=2/, () => ok('<instances type="array"></instances>')],
    ]); // prettier-ignore
    const [a, b] = await client.jobInstances('j');
    expect(a).toEqual({ id: 'a', jobId: 'j', status: 'running', address: '10.0.0.5' });
    expect(b?.address).toBe('192.168.0.6');
    expect(seen[0]!.path).toContain('job_id=j');
    const { client: none } = await scripted([
      [
        /GET \/instances/,
        () =>
          ok(
            '<instances><instance><id>c</id><status>starting</status><external-ip-address>not allocated</external-ip-address><internal-ip-address>not allocated</internal-ip-address></instance></instances>',
          ),
      ],
    ]);
    expect((await none.jobInstances('j'))[0]?.address).toBeUndefined();
  });

  it('never puts the credentials into an error', async () => {
    const { client } = await scripted([[/GET/, () => ({ status: 500, body: 'oops' })]]);
    const error = await failure(client.list('jobs'));
    const everything = [
      error.message,
      ...causeChain(error),
      JSON.stringify(error),
      String(error.stack),
    ].join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64'));
  });
});
