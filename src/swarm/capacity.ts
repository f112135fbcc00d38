/**
 * The capacity vocabulary: how much CPU and memory a node offers and a task reserves,
 * as the generic resources Swarm accounts for, and the few rules every part of micado
 * reasons with (status, the monitor, scale-up, scale-down, the nudge, the CLI).
 */
import type { Resources } from './swarm-client.js';

/** Generic resource names: CPU in millicores, memory in MB. */
export const CPU = 'micado.cpu_milli';
export const MEMORY = 'micado.mem_mb';

export interface Amount {
  cpuMilli: number;
  memoryMb: number;
}

export const NO_AMOUNT: Readonly<Amount> = { cpuMilli: 0, memoryMb: 0 };

/** Task states that hold a node's resources: placed and not yet ended. */
export const PLACED_TASK_STATES: ReadonlySet<string> = new Set([
  'assigned',
  'accepted',
  'preparing',
  'starting',
  'running',
]);

/** An amount from generic resources (a node's capacity, a task's reservations). */
export function amountOf(resources: Resources): Amount {
  return { cpuMilli: resources[CPU] ?? 0, memoryMb: resources[MEMORY] ?? 0 };
}

/** Generic resources from an amount (what a node advertises, what a service reserves). */
export function resourcesOf(amount: Amount): Resources {
  return { [CPU]: Math.round(amount.cpuMilli), [MEMORY]: Math.round(amount.memoryMb) };
}

/** What a flavour of so many CPUs and MB offers. */
export function flavourAmount(flavour: { cpus: number; memoryMb: number }): Amount {
  return { cpuMilli: Math.round(flavour.cpus * 1000), memoryMb: Math.round(flavour.memoryMb) };
}

export function sumOf(amounts: Amount[]): Amount {
  return amounts.reduce(
    (sum, a) => ({ cpuMilli: sum.cpuMilli + a.cpuMilli, memoryMb: sum.memoryMb + a.memoryMb }),
    { ...NO_AMOUNT },
  );
}

/** Room left on a node: its capacity less what is reserved on it. */
export function freeRoom(capacity: Amount, reserved: Amount): Amount {
  return {
    cpuMilli: capacity.cpuMilli - reserved.cpuMilli,
    memoryMb: capacity.memoryMb - reserved.memoryMb,
  };
}

/** Whether `demand` fits in `free`, on both resources. */
export function fits(free: Amount, demand: Amount): boolean {
  return free.cpuMilli >= demand.cpuMilli && free.memoryMb >= demand.memoryMb;
}

/** Take `demand` out of `free`, in place (a simulated placement). */
export function take(free: Amount, demand: Amount): void {
  free.cpuMilli -= demand.cpuMilli;
  free.memoryMb -= demand.memoryMb;
}

/** Largest first: memory, then CPU (the order of first-fit decreasing). */
export function largestFirst(a: Amount, b: Amount): number {
  return b.memoryMb - a.memoryMb || b.cpuMilli - a.cpuMilli;
}
