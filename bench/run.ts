/**
 * micado's benchmarks, each measured side by side with its baseline in one run (this
 * machine is shared and noisy: compare the ratios, not the absolute times).
 * `npm run bench [foundation|containers|cloudbroker|monitor|autoscaler|warm|burst|storm|discovery|proxy|ports|dashboard|clients|registry|tenants|builds|stacks|consolidation]`.
 */
import { benchAutoscaler } from './autoscaler.js';
import { benchBurst } from './burst.js';
import { benchClients } from './clients.js';
import { benchCloudBroker } from './cloudbroker.js';
import { benchConsolidation } from './consolidation.js';
import { benchContainers } from './containers.js';
import { benchDashboard } from './dashboard.js';
import { benchDiscovery } from './discovery.js';
import { benchFoundation } from './foundation.js';
import { benchMonitor } from './monitor.js';
import { benchPorts } from './ports.js';
import { benchProxy } from './proxy.js';
import { benchRegistry } from './registry.js';
import { benchStacks } from './stacks.js';
import { benchStorm } from './storm.js';
import { benchBuilds, benchTenants } from './tenants.js';
import { benchWarm } from './warm.js';

const suites: Record<string, () => Promise<string[][]>> = {
  foundation: benchFoundation,
  containers: benchContainers,
  cloudbroker: benchCloudBroker,
  monitor: benchMonitor,
  autoscaler: benchAutoscaler,
  warm: benchWarm,
  burst: benchBurst,
  storm: benchStorm,
  discovery: benchDiscovery,
  proxy: benchProxy,
  ports: benchPorts,
  dashboard: benchDashboard,
  clients: benchClients,
  registry: benchRegistry,
  tenants: benchTenants,
  builds: benchBuilds,
  stacks: benchStacks,
  consolidation: benchConsolidation,
};

const chosen = process.argv.slice(2);
const rows: string[][] = [];
for (const [name, run] of Object.entries(suites)) {
  if (chosen.length === 0 || chosen.includes(name)) rows.push(...(await run()));
}
const width = Math.max(...rows.map((r) => r[0]!.length));
for (const [what = '', value = '', note = ''] of rows) {
  console.log(`${what.padEnd(width)}  ${value.padStart(8)}  ${note}`);
}
