/** Timing helpers shared by the benchmarks. */
import type { SwarmClient } from '../src/swarm/index.js';
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Resolves once `count` tasks of services named with `prefix` run (bench side: a poll). */
export async function allRunning(
  manager: SwarmClient,
  prefix: string,
  count: number,
  timeoutMs = 300_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const services = new Set(
      (await manager.listServices()).filter((s) => s.name.startsWith(prefix)).map((s) => s.id),
    );
    const running = (await manager.listTasks({ 'desired-state': ['running'] })).filter(
      (t) => services.has(t.serviceId) && t.state === 'running',
    );
    if (running.length >= count) return;
    if (Date.now() > deadline)
      throw new Error(`only ${running.length} of ${count} ran in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
