/** Example records for the store's tests and benchmarks. */
import type { ContainerRecord, InstanceRecord } from './store.js';

export const T0 = Date.UTC(2026, 10, 1);

export function instance(name: string, change: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    name,
    hostname: `host-${name}`,
    address: '10.0.0.3',
    cloud: 'local',
    pool: 'default',
    flavour: 'small',
    capacity: { cpuMilli: 1000, memoryMb: 512 },
    reserved: { cpuMilli: 200, memoryMb: 128 },
    used: { cpuMilli: 50, memoryMb: 40 },
    free: { cpuMilli: 800, memoryMb: 384 },
    state: 'ready',
    availability: 'active',
    stale: false,
    lastSeen: T0,
    ...change,
  };
}

export function container(id: string, node: string, change: Partial<ContainerRecord> = {}) {
  const record: ContainerRecord = {
    id,
    name: `container-web.1.${id}`,
    service: 'container-web',
    image: 'localhost:5000/web:latest',
    node,
    address: '10.0.1.5',
    cpuMilli: 12.5,
    memoryMb: 20.25,
    reserved: { cpuMilli: 100, memoryMb: 64 },
    state: 'running',
    cpuTotalNs: 123_456_789,
    lastSeen: T0,
    ...change,
  };
  return record;
}
