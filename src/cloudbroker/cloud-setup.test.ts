import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config/config.js';
import { cloudPricedFlavours } from './cloud-prices.js';
import {
  readCloudSetup,
  readCredentials,
  renderParameters,
  validateCloudSetup,
} from './cloud-setup.js';
import { parseXml } from './cloudbroker-xml.js';

const dir = mkdtempSync(join(tmpdir(), 'micado-cb-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string, mode = 0o600) => {
  const file = join(dir, name);
  writeFileSync(file, content);
  chmodSync(file, mode);
  return file;
};

const EXAMPLE = join(import.meta.dirname, '../../packages/manager/cloudsetup.xml.example');

describe('cloudsetup.xml', () => {
  it('reads the shipped example', () => {
    const setup = readCloudSetup(EXAMPLE);
    const flavours = {
      small: '0b2e6a5c-4a16-4b4f-8a44-1f6d0d7c1a11',
      medium: '6d1e8f2a-98a1-4f0c-b9b4-3c51d0f1e222',
    };
    expect(setup.clouds).toEqual([
      {
        name: 'CloudSigmaVM',
        api: 'instances',
        provider: 'CloudSigma Zurich',
        region: 'zrh',
        deployment: 'micado-node-debian12',
        keyPair: 'micado-operator',
        openedPorts: '2376,2377,7946,4789',
        flavours,
        prices: { small: 0.05, medium: 0.1 },
      },
      {
        name: 'CloudSigma',
        api: 'jobs',
        provider: 'CloudSigma Zurich',
        region: 'zrh',
        flavours: {
          small: '0b2e6a5c-4a16-4b4f-8a44-1f6d0d7c1a11',
          medium: '6d1e8f2a-98a1-4f0c-b9b4-3c51d0f1e222',
        },
      },
    ]);
    expect(setup.applications[0]).toMatchObject({
      name: 'Node DSCR',
      software: 'DSCR node',
      executable: 'executable.sh',
    });
  });

  it('reports every problem at once, with file and element', () => {
    const file = write(
      'bad.xml',
      `<cloudsetup>
        <clouds>
          <cloud><name>A</name><region>r</region><flavours><flavour><size>small</size></flavour></flavours></cloud>
          <cloud><name>A</name><provider>p</provider><region>r</region><flavours/></cloud>
        </clouds>
        <applications><application><name>app</name><software>s</software><parameters>{token} {secret}</parameters></application></applications>
      </cloudsetup>`,
    );
    let message = '';
    try {
      readCloudSetup(file);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${file}: `);
    for (const problem of [
      'clouds/cloud[1]/provider is missing',
      'clouds/cloud[1]/flavours/flavour[1]/instance-type is missing',
      'clouds/cloud[2]/flavours has no flavour',
      'applications/application[1]/executable is missing',
      'applications/application[1]/parameters: unknown placeholder {secret}',
      "applications/application[1]/parameters: {token} would leave a node's secret in the platform's job records: use --boot {boot} --ca {ca} --catalog {catalog}",
      'applications/application[1]/parameters lack {manager} {registry} {instance} {pool} {flavour} {catalog} {boot} {ca}',
      "cloud 'A' is defined twice",
    ]) {
      expect(message).toContain(problem);
    }
  });

  it.each([
    ['a missing file', undefined, /cannot read .*: ENOENT/],
    ['a file that is not XML', '<cloudsetup><clouds>', /is not valid XML/],
    [
      'a file with a DOCTYPE',
      '<!DOCTYPE x [<!ENTITY a "b">]><cloudsetup/>',
      /is not valid XML: refusing/,
    ],
    ['an empty set-up', '<cloudsetup/>', /clouds has no cloud$/],
    [
      'a jobs cloud without an application',
      '<cloudsetup><clouds><cloud><name>J</name><provider>p</provider><region>r</region><flavours><flavour><size>small</size><instance-type>t</instance-type></flavour></flavours></cloud></clouds></cloudsetup>',
      /applications has no application \(a jobs cloud runs one\)$/,
    ],
    [
      'an instance cloud without a deployment, an unknown api, bad ports',
      '<cloudsetup><clouds><cloud><name>I</name><api>instances</api><provider>p</provider><region>r</region><opened-ports>22,web</opened-ports><flavours><flavour><size>small</size><instance-type>t</instance-type></flavour></flavours></cloud><cloud><name>X</name><api>vms</api><provider>p</provider><region>r</region><flavours><flavour><size>small</size><instance-type>t</instance-type></flavour></flavours></cloud></clouds></cloudsetup>',
      /clouds\/cloud\[1\]\/deployment is missing: an instance cloud boots a deployment .*clouds\/cloud\[1\]\/opened-ports must be ports or ranges.*clouds\/cloud\[2\]\/api must be instances or jobs, got 'vms'/,
    ],
  ])('refuses %s', (_, content, message) => {
    const file =
      content === undefined ? join(dir, 'absent.xml') : write(`f${Math.random()}.xml`, content);
    expect(() => readCloudSetup(file)).toThrow(message);
  });

  it('fills a parameter template', () => {
    const values = {
      manager: '10.0.0.2:2377',
      token: 'SWMTKN-x',
      registry: 'r:5000',
      instance: 'i-1',
      pool: 'application',
      flavour: 'small',
      tag: 't1',
      catalog: 'http://10.0.0.1:8500',
      tls: 'QkFTRTY0',
      certificate: '',
      boot: 'code',
      ca: 'Q0E=',
    };
    expect(renderParameters('--manager {manager} --boot {boot} --tag {tag}', values)).toBe(
      '--manager 10.0.0.2:2377 --boot code --tag t1',
    );
    expect(renderParameters(undefined, values)).toBeUndefined();
  });
});

describe('cbcredentials', () => {
  it('reads email and password', () => {
    expect(readCredentials(write('cb-ok', 'user@example.org\npa ss\n'), {})).toEqual({
      email: 'user@example.org',
      password: 'pa ss',
    });
  });

  it('refuses a file that group or others can read, saying how to fix it', () => {
    const file = write('cb-open', 'user@example.org\npass\n', 0o644);
    expect(() => readCredentials(file, {})).toThrow(
      `${file} is readable by group or others: run chmod 600 ${file}`,
    );
  });

  it('reports both lines when both are wrong', () => {
    expect(() => readCredentials(write('cb-bad', 'not-an-email\n'), {})).toThrow(
      /line 1 must be the account email; line 2 must be the password/,
    );
  });

  it('takes the environment over the file, without needing the file', () => {
    expect(
      readCredentials(join(dir, 'none'), { MICADO_CB_EMAIL: 'e@x.org', MICADO_CB_PASSWORD: 'p' }),
    ).toEqual({ email: 'e@x.org', password: 'p' });
  });

  it('never puts the password into its errors', () => {
    const file = write('cb-leak', 'bad email\nhunter2\n');
    expect(() => readCredentials(file, {})).toThrow(/line 1/);
    try {
      readCredentials(file, {});
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
  });
});

describe('prices in cloudsetup.xml', () => {
  const setupWith = (prices: string[]) =>
    validateCloudSetup(
      parseXml(`<cloudsetup><clouds>${prices
        .map((price, i) => `<cloud><name>C${i}</name><api>instances</api><deployment>d</deployment><provider>p</provider><region>r</region><flavours>
          <flavour><size>small</size><instance-type>t1</instance-type>${price}</flavour>
          <flavour><size>medium</size><instance-type>t2</instance-type></flavour></flavours></cloud>`)
        .join('')}</clouds></cloudsetup>`),
      'cloudsetup.xml',
    ); // prettier-ignore
  const config = (pools: Record<string, { cloud: string }>, smallPrice?: number) => ({
    ...DEFAULT_CONFIG,
    flavours: { ...DEFAULT_CONFIG.flavours, small: { cpus: 1, memoryMb: 512, ...(smallPrice === undefined ? {} : { pricePerHour: smallPrice }) } }, // prettier-ignore
    pools: Object.fromEntries(Object.entries(pools).map(([name, { cloud }]) => [name, { driver: 'cloudbroker', cloud, flavour: 'small', flavours: ['small', 'medium'], min: 0, max: 3 }])), // prettier-ignore
  });

  it("prices a CloudBroker pool's unpriced flavours from its cloud, the configuration's price first", () => {
    const setup = setupWith(['<price-per-hour>0.05</price-per-hour>']);
    expect(setup.clouds[0]!.prices).toEqual({ small: 0.05 });
    expect(cloudPricedFlavours(config({ cb: { cloud: 'C0' } }), setup).small!.pricePerHour).toBe(0.05); // prettier-ignore
    expect(cloudPricedFlavours(config({ cb: { cloud: 'C0' } }), setup).medium!.pricePerHour).toBeUndefined(); // prettier-ignore
    expect(cloudPricedFlavours(config({ cb: { cloud: 'C0' } }, 0.07), setup).small!.pricePerHour).toBe(0.07); // prettier-ignore
  });

  it('refuses a price that is no number, and one flavour priced two ways by two clouds', () => {
    expect(() => setupWith(['<price-per-hour>cheap</price-per-hour>'])).toThrow(
      /clouds\/cloud\[1\]\/flavours\/flavour\[1\]\/price-per-hour must be a number of at least 0, e\.g\. 0\.05, got 'cheap'/,
    );
    const two = setupWith(['<price-per-hour>0.05</price-per-hour>', '<price-per-hour>0.06</price-per-hour>']); // prettier-ignore
    expect(() => cloudPricedFlavours(config({ a: { cloud: 'C0' }, b: { cloud: 'C1' } }), two)).toThrow(
      'flavour small costs 0.05/h on cloud C0 and 0.06/h on cloud C1 (cloudsetup.xml): set flavours.small.pricePerHour',
    ); // prettier-ignore
    expect(cloudPricedFlavours(config({ a: { cloud: 'C0' }, b: { cloud: 'C1' } }, 0.055), two).small!.pricePerHour).toBe(0.055); // prettier-ignore
  });
});
