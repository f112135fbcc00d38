/**
 * What a CloudBroker pool's flavours cost, from cloudsetup.xml (`<price-per-hour>` of a
 * cloud's flavour): the prices scale-up and consolidation weigh. A flavour priced in
 * the configuration keeps that price; one left unpriced takes its clouds' price. Two
 * clouds that price one flavour differently cannot share one price per flavour: the
 * operator is asked to set it.
 */
import { existsSync } from 'node:fs';
import type { Flavour, MicadoConfig } from '../config/config.js';
import { configError } from '../errors.js';
import { readCloudSetup, type CloudSetup } from './cloud-setup.js';

/** The configuration's flavours, each unpriced one priced by its CloudBroker clouds. */
export function cloudPricedFlavours(
  config: MicadoConfig,
  setup: CloudSetup | undefined = existsSync(config.cloudbroker.setupFile)
    ? readCloudSetup(config.cloudbroker.setupFile)
    : undefined,
): Record<string, Flavour> {
  const priced = structuredClone(config.flavours);
  if (!setup) return priced;
  const said = new Map<string, { cloud: string; price: number }>();
  for (const pool of Object.values(config.pools)) {
    const cloud = setup.clouds.find((c) => c.name === pool.cloud);
    if (pool.driver !== 'cloudbroker' || !cloud?.prices) continue;
    for (const flavour of pool.flavours ?? [pool.flavour]) {
      const price = cloud.prices[flavour];
      if (price === undefined || config.flavours[flavour]?.pricePerHour !== undefined) continue;
      const before = said.get(flavour);
      if (before && before.price !== price) {
        throw configError(
          `flavour ${flavour} costs ${before.price}/h on cloud ${before.cloud} and ${price}/h on cloud ${cloud.name} (cloudsetup.xml): set flavours.${flavour}.pricePerHour`,
        );
      }
      said.set(flavour, { cloud: cloud.name, price });
      priced[flavour] = { ...priced[flavour]!, pricePerHour: price };
    }
  }
  return priced;
}
