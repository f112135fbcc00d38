/**
 * A cycle's cluster view (the engine's JSON for nodes, services and tasks, mapped, then
 * built into the view every decision reads) with 500 services of which half come from
 * stacks (native reservations, deploy labels, their stack's label), next to the same
 * with 500 micado containers, alternating in one run.
 */
import { containerServiceSpec, type LaunchRequest } from '../src/containers/container-spec.js';
import { buildClusterView } from '../src/autoscaler/cluster-view.js';
import { serviceBody, toNode, toService, toTask } from '../src/swarm/engine-mapping.js';
import { median, ms } from './measure.js';

const SERVICES = 500;
const NODES = 100;
const REGISTRY = '10.232.0.2:5000';

/** A node as the engine lists it: a micado node of 4 CPUs and 8 GB. */
const node = (i: number) => ({
  ID: `n${i}`,
  Version: { Index: 1 },
  Spec: { Role: 'worker', Availability: 'active', Labels: { 'micado.instance': `i-${i}`, 'micado.pool': 'default' } }, // prettier-ignore
  Description: { Hostname: `h${i}`, Engine: { Labels: { 'micado.instance': `i-${i}` } }, Resources: { GenericResources: [{ DiscreteResourceSpec: { Kind: 'micado.cpu_milli', Value: 4000 } }, { DiscreteResourceSpec: { Kind: 'micado.mem_mb', Value: 8192 } }] } }, // prettier-ignore
  Status: { State: 'ready', Addr: `10.0.${Math.floor(i / 250)}.${i % 250}` },
});

/** A micado container's service, as launch makes it. */
function launched(i: number) {
  const request: LaunchRequest = {
    name: `container-c${i}`,
    client: `c${i}`,
    image: { given: 'container-app', name: `${REGISTRY}/container-app:latest@sha256:${'0'.repeat(64)}` }, // prettier-ignore
    domain: `d${i}.example`,
    containerPort: 80,
    environment: [],
    cpuMilli: 100,
    memoryMb: 64,
    replicas: 2, // prettier-ignore
  };
  return { ID: `s${i}`, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', Spec: serviceBody(containerServiceSpec(request)) }; // prettier-ignore
}

/** A stack's service, as `docker stack deploy` makes it from a compose file. */
const stacked = (i: number) => ({
  ID: `s${i}`,
  Version: { Index: 1 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: {
    Name: `shop${i}_web`,
    Labels: { 'com.docker.stack.namespace': `shop${i}`, 'com.docker.stack.image': 'web:1', 'micado.domain': `d${i}.example`, 'micado.client': `c${i}`, 'micado.policy.max': '4' }, // prettier-ignore
    TaskTemplate: { ContainerSpec: { Image: `${REGISTRY}/web:1@sha256:${'1'.repeat(64)}`, Labels: { 'com.docker.stack.namespace': `shop${i}` } }, Resources: { Reservations: { NanoCPUs: 100_000_000, MemoryBytes: 64 * 2 ** 20 } }, Placement: { Constraints: ['node.labels.micado.member == true'] }, Networks: [{ Target: `shop${i}_default` }] }, // prettier-ignore
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'host' }] }, // prettier-ignore
  },
});

/** Two tasks per service, running, spread over the nodes. */
const tasksOf = (services: { ID: string; Spec: { TaskTemplate?: { Resources?: unknown } } }[]) =>
  services.flatMap((s, i) =>
    [1, 2].map((slot) => ({
      ID: `${s.ID}.${slot}`,
      ServiceID: s.ID,
      NodeID: `n${(i * 2 + slot) % NODES}`,
      Slot: slot,
      DesiredState: 'running', // prettier-ignore
      Status: { State: 'running', ContainerStatus: { ContainerID: `c${i}${slot}` } },
      Spec: { Resources: s.Spec.TaskTemplate?.Resources }, // prettier-ignore
    })),
  );

export async function benchStacks(): Promise<string[][]> {
  const nodes = JSON.stringify(Array.from({ length: NODES }, (_, i) => node(i)));
  const mixedServices = Array.from({ length: SERVICES }, (_, i) => (i % 2 === 0 ? stacked(i) : launched(i))); // prettier-ignore
  const microServices = Array.from({ length: SERVICES }, (_, i) => launched(i));
  const engine = (services: unknown[]) => ({ nodes, services: JSON.stringify(services), tasks: JSON.stringify(tasksOf(services as never)) }); // prettier-ignore
  const mixed = engine(mixedServices);
  const micado = engine(microServices);
  const view = (answer: { nodes: string; services: string; tasks: string }) => {
    const began = performance.now();
    const built = buildClusterView(
      (JSON.parse(answer.nodes) as unknown[]).map(toNode),
      (JSON.parse(answer.tasks) as unknown[]).map(toTask),
      (JSON.parse(answer.services) as unknown[]).map(toService),
      [],
    );
    if (built.nodes.length !== NODES || built.nodes.some((n) => n.reserved.memoryMb === 0)) throw new Error('a node holds nothing'); // prettier-ignore
    return performance.now() - began;
  };
  const withStacks: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < 40; i++) {
    // Each goes first every other time: the garbage one leaves is not always the other's.
    const order = i % 2 === 0 ? [mixed, micado] : [micado, mixed];
    for (const answer of order) (answer === mixed ? withStacks : without).push(view(answer));
  }
  const ratio = median(withStacks) / median(without);
  return [
    [`cluster view: ${SERVICES} services, half from stacks, on ${NODES} nodes (median of 40)`, ms(median(withStacks)), `stacks/micado = ${ratio.toFixed(3)} (goal <= 1.1)`], // prettier-ignore
    [`  the same with ${SERVICES} micado containers`, ms(median(without)), ''],
  ];
}
