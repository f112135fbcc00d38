/**
 * The CloudBroker set-up files, as the original manager read them: `cloudsetup.xml`
 * (clouds with their provider, region and flavours; applications with their software,
 * executable and parameter template) and `cbcredentials` (email, then password). Every
 * problem is reported at once, naming file and element.
 *
 * A cloud says which of the platform's APIs starts its machines: `instances` (a VM of a
 * deployment, contextualised with cloud-init user-data that micado renders) or `jobs`
 * (a job of an application's executable, as the manual's "Node DSCR"). Without `<api>`,
 * a cloud that names a deployment uses instances, and one that does not, jobs.
 */
import { BOOT_PARAMETERS, SECRET_BOOT_PARAMETERS } from '../cloud/cloud-driver.js';
import { readFileSync, statSync } from 'node:fs';
import { configError } from '../errors.js';
import { asList, parseXml } from './cloudbroker-xml.js';

export type CloudApi = 'instances' | 'jobs';

export interface CloudDefinition {
  name: string;
  api: CloudApi;
  /** The CloudBroker resource (the cloud provider's name there). */
  provider: string;
  region: string;
  /** Flavour size (small, medium, …) -> instance type id. */
  flavours: Record<string, string>;
  /** Flavour size -> what its instance type costs per hour here (`<price-per-hour>`). */
  prices?: Record<string, number>;
  /** The instance API's: the deployment (VM image) by name or id, a key pair, ports to open. */
  deployment?: string;
  keyPair?: string;
  openedPorts?: string;
}

export interface ApplicationDefinition {
  name: string;
  software: string;
  executable: string;
  /** The job's arguments, with {placeholders} filled in at start. */
  parameters: string | undefined;
}

export interface CloudSetup {
  clouds: CloudDefinition[];
  applications: ApplicationDefinition[];
}

export interface Credentials {
  email: string;
  password: string;
}

/** What a parameter template may use: a node's boot parameters. */
export const PLACEHOLDERS = BOOT_PARAMETERS;
/**
 * What a job's node cannot boot without: its secrets come by the one-time code
 * `{boot}`, fetched from the catalog (`{catalog}`), trusted by the CA (`{ca}`).
 */
const REQUIRED_PLACEHOLDERS = ['manager', 'registry', 'instance', 'pool', 'flavour', 'catalog', 'boot', 'ca']; // prettier-ignore
const TEMPLATE = '--manager {manager} --registry {registry} --instance {instance} --pool {pool} --flavour {flavour} --tag {tag} --catalog {catalog} --boot {boot} --ca {ca}'; // prettier-ignore
export type Placeholders = Record<(typeof PLACEHOLDERS)[number], string>;

type Tree = Record<string, unknown>;

const text = (node: unknown, key: string): string | undefined => {
  const value = (node as Tree | undefined)?.[key];
  return typeof value === 'string' || typeof value === 'number'
    ? String(value).trim() || undefined
    : undefined;
};

export function readCloudSetup(file: string): CloudSetup {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw configError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}: create it (see packages/manager/cloudsetup.xml.example)`,
    );
  }
  let document: Tree;
  try {
    document = parseXml(content);
  } catch (err) {
    throw configError(
      `${file} is not valid XML: ${(err as Error).message.replace(/^CloudBroker: /, '')}`,
    );
  }
  return validateCloudSetup(document, file);
}

export function validateCloudSetup(document: Tree, file: string): CloudSetup {
  const problems: string[] = [];
  const root = (document.cloudsetup ?? document) as Tree;
  const need = (node: unknown, key: string, where: string): string => {
    const value = text(node, key);
    if (value === undefined) problems.push(`${where}/${key} is missing`);
    return value ?? '';
  };

  const clouds = asList((root.clouds as Tree | undefined)?.cloud as Tree | Tree[]).map(
    (cloud, i) => {
      const where = `clouds/cloud[${i + 1}]`;
      const flavours: Record<string, string> = {};
      const prices: Record<string, number> = {};
      asList((cloud.flavours as Tree | undefined)?.flavour as Tree | Tree[]).forEach(
        (flavour, j) => {
          const at = `${where}/flavours/flavour[${j + 1}]`;
          const size = need(flavour, 'size', at);
          const type = need(flavour, 'instance-type', at);
          if (size && flavours[size]) problems.push(`${at}: flavour '${size}' is defined twice`);
          if (size && type) flavours[size] = type;
          const price = text(flavour, 'price-per-hour');
          if (price !== undefined && !/^\d+(\.\d+)?$/.test(price))
            problems.push(`${at}/price-per-hour must be a number of at least 0, e.g. 0.05, got '${price}'`); // prettier-ignore
          else if (price !== undefined && size) prices[size] = Number(price);
        },
      );
      const deployment = text(cloud, 'deployment');
      const api = text(cloud, 'api') ?? (deployment ? 'instances' : 'jobs');
      if (api !== 'instances' && api !== 'jobs')
        problems.push(`${where}/api must be instances or jobs, got '${api}'`);
      if (api === 'instances' && !deployment)
        problems.push(`${where}/deployment is missing: an instance cloud boots a deployment (its VM image), by name or id`); // prettier-ignore
      const openedPorts = text(cloud, 'opened-ports');
      if (openedPorts && !/^\d+(-\d+)?(,\s*\d+(-\d+)?)*$/.test(openedPorts))
        problems.push(`${where}/opened-ports must be ports or ranges, e.g. 2376,2377,7946,4789`);
      const definition: CloudDefinition = {
        name: need(cloud, 'name', where),
        api: api as CloudApi,
        provider: need(cloud, 'provider', where),
        region: need(cloud, 'region', where),
        flavours,
        ...(Object.keys(prices).length > 0 ? { prices } : {}),
        ...(deployment ? { deployment } : {}),
        ...(text(cloud, 'key-pair') ? { keyPair: text(cloud, 'key-pair') } : {}),
        ...(openedPorts ? { openedPorts: openedPorts.replace(/\s+/g, '') } : {}),
      };
      if (Object.keys(flavours).length === 0) problems.push(`${where}/flavours has no flavour`);
      return definition;
    },
  );
  if (clouds.length === 0) problems.push('clouds has no cloud');

  const applications = asList(
    (root.applications as Tree | undefined)?.application as Tree | Tree[],
  ).map((application, i) => {
    const where = `applications/application[${i + 1}]`;
    const parameters = text(application, 'parameters');
    const used = [...(parameters ?? '').matchAll(/\{([^}]*)\}/g)].map(([, name]) => name!);
    for (const name of used) {
      if (SECRET_BOOT_PARAMETERS.includes(name)) {
        problems.push(
          `${where}/parameters: {${name}} would leave a node's secret in the platform's job records: use --boot {boot} --ca {ca} --catalog {catalog} (the node fetches its secrets once, by that code)`,
        );
      } else if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        problems.push(
          `${where}/parameters: unknown placeholder {${name}} (use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`,
        );
      }
    }
    const lacking = REQUIRED_PLACEHOLDERS.filter((name) => !used.includes(name));
    if (lacking.length > 0) {
      problems.push(
        `${where}/parameters lack ${lacking.map((p) => `{${p}}`).join(' ')}: a node boots with ${TEMPLATE}`,
      );
    }
    return {
      name: need(application, 'name', where),
      software: need(application, 'software', where),
      executable: need(application, 'executable', where),
      parameters,
    };
  });
  if (applications.length === 0 && clouds.some((c) => c.api === 'jobs'))
    problems.push('applications has no application (a jobs cloud runs one)');

  for (const [what, names] of [
    ['cloud', clouds.map((c) => c.name)],
    ['application', applications.map((a) => a.name)],
  ] as const) {
    const twice = names.filter((n, i) => n && names.indexOf(n) !== i);
    for (const name of new Set(twice)) problems.push(`${what} '${name}' is defined twice`);
  }
  if (problems.length > 0) throw configError(`${file}: ${problems.join('; ')}`);
  return { clouds, applications };
}

/** Fill a parameter template; values are the bootstrap's, never logged. */
export function renderParameters(
  template: string | undefined,
  values: Placeholders,
): string | undefined {
  return template?.replace(/\{([a-z]+)\}/g, (_, name: keyof Placeholders) => values[name]);
}

/**
 * The account: from the environment (MICADO_CB_EMAIL and MICADO_CB_PASSWORD), else from
 * the file, which must be readable by its owner only.
 */
export function readCredentials(file: string, env: NodeJS.ProcessEnv = process.env): Credentials {
  if (env.MICADO_CB_EMAIL && env.MICADO_CB_PASSWORD) {
    return { email: env.MICADO_CB_EMAIL, password: env.MICADO_CB_PASSWORD };
  }
  let mode: number;
  let lines: string[];
  try {
    mode = statSync(file).mode;
    lines = readFileSync(file, 'utf8').split(/\r?\n/);
  } catch (err) {
    throw configError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}: write the account email on line 1 and the password on line 2`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw configError(`${file} is readable by group or others: run chmod 600 ${file}`);
  }
  const email = (env.MICADO_CB_EMAIL ?? lines[0] ?? '').trim();
  const password = env.MICADO_CB_PASSWORD ?? (lines[1] ?? '').replace(/\s+$/, '');
  const problems: string[] = [];
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) problems.push('line 1 must be the account email');
  if (!password) problems.push('line 2 must be the password');
  if (problems.length > 0) throw configError(`${file}: ${problems.join('; ')}`);
  return { email, password };
}
