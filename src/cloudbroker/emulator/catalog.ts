/** The emulator's catalog, made from a cloudsetup.xml so every name in it resolves. */
import { createHash } from 'node:crypto';
import type { CloudSetup } from '../cloud-setup.js';
import type { Catalog } from './cloudbroker-emulator.js';

/** A stable UUID-shaped id for a name, so runs of the emulator agree. */
const idFor = (kind: string, name: string) => {
  const hex = createHash('sha256').update(`${kind}/${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/**
 * Resources, regions, deployments and key pairs from the clouds, software and
 * executables from the applications. Instance types keep the ids cloudsetup.xml gives
 * them, named after the flavour size: the local flavour the emulator's nodes get.
 */
export function catalogFromSetup(setup: CloudSetup): Catalog {
  const unique = <T extends { id: string }>(items: T[]) => [
    ...new Map(items.map((i) => [i.id, i])).values(),
  ];
  return {
    softwares: unique(
      setup.applications.map((a) => ({ id: idFor('software', a.software), name: a.software })),
    ),
    executables: unique(
      setup.applications.map((a) => ({
        id: idFor('executable', a.executable),
        name: a.executable,
        softwareId: idFor('software', a.software),
      })),
    ),
    resources: unique(
      setup.clouds.map((c) => ({ id: idFor('resource', c.provider), name: c.provider })),
    ),
    regions: unique(
      setup.clouds.map((c) => ({
        id: idFor('region', c.region),
        name: c.region,
        resourceId: idFor('resource', c.provider),
      })),
    ),
    instanceTypes: unique(
      setup.clouds.flatMap((c) =>
        Object.entries(c.flavours).map(([size, id]) => ({ id, name: size })),
      ),
    ),
    deployments: unique(
      setup.clouds.flatMap((c) =>
        c.deployment ? [{ id: idFor('deployment', c.deployment), name: c.deployment }] : [],
      ),
    ),
    keyPairs: unique(
      setup.clouds.flatMap((c) =>
        c.keyPair ? [{ id: idFor('key-pair', c.keyPair), name: c.keyPair }] : [],
      ),
    ),
  };
}
