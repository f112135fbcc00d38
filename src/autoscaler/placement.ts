/**
 * Where a task can go, by the rules Swarm's scheduler places it by: a node whose free
 * resources hold its reservation, whose traits satisfy its constraints, and where none
 * of the host ports it publishes is taken by a task already there. Every simulation
 * (scale-up, scale-down, the nudge) asks these, so none of them sees room Swarm would
 * not use: a task pending on its host port (`-p`) asks for a node of its own.
 */
import { fits, freeRoom, take, type Amount } from '../swarm/capacity.js';
import type { NodeTraits, NodeView, TaskDemand } from './cluster-view.js';
import { satisfies } from './constraints.js';

/** A node in a simulation: what is left of it. */
export interface Room {
  free: Amount;
  /** Host ports its tasks publish, as PORT/PROTOCOL. */
  ports: Set<string>;
  traits: NodeTraits;
}

/** What a node in the swarm has left. */
export function roomOn(node: NodeView): Room {
  return {
    free: freeRoom(node.capacity, node.reserved),
    ports: new Set(node.tasks.flatMap((t) => t.hostPorts ?? [])),
    traits: node,
  };
}

/** A node that holds nothing yet (one on its way, or one a plan would open). */
export function emptyRoom(capacity: Amount, traits: NodeTraits): Room {
  return { free: { ...capacity }, ports: new Set(), traits };
}

export function canHold(room: Room, task: TaskDemand): boolean {
  return (
    fits(room.free, task) &&
    !(task.hostPorts ?? []).some((port) => room.ports.has(port)) &&
    satisfies(room.traits, task.constraints)
  );
}

/** Place `task` in the simulation: its reservation and host ports are taken. */
export function place(room: Room, task: TaskDemand): void {
  take(room.free, task);
  for (const port of task.hostPorts ?? []) room.ports.add(port);
}
