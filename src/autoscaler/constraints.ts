/**
 * Swarm placement constraints, evaluated the way the scheduler does, against real
 * nodes and against the nodes a pool would start. Attributes a node not yet started
 * cannot know (its hostname, id) make `==` false and `!=` true, as for a node that
 * lacks a label.
 */
import type { NodeTraits } from './cluster-view.js';

const CONSTRAINT = /^\s*([\w.-]+)\s*(==|!=)\s*(.+?)\s*$/;

function attribute(node: NodeTraits, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === 'node.role') return node.role;
  if (lower === 'node.hostname') return node.hostname;
  if (lower === 'node.platform.os') return 'linux';
  if (lower.startsWith('node.labels.')) return node.nodeLabels[name.slice('node.labels.'.length)];
  if (lower.startsWith('engine.labels.')) {
    return node.engineLabels[name.slice('engine.labels.'.length)];
  }
  return undefined;
}

export function satisfies(node: NodeTraits, constraints: string[]): boolean {
  for (const constraint of constraints) {
    const match = CONSTRAINT.exec(constraint);
    if (!match) return false;
    const [, name, operator, expected] = match as unknown as [string, string, string, string];
    const actual = attribute(node, name);
    // Swarm compares values case-insensitively.
    const equal = actual !== undefined && actual.toLowerCase() === expected.toLowerCase();
    if (operator === '==' ? !equal : equal) return false;
  }
  return true;
}
