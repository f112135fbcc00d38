/**
 * The manager's engine, as every part of micado reaches it: by its socket, presenting
 * the registry's accounts (push where it pushes, pull with each service it makes) once
 * `up` has made them.
 */
import { existsSync } from 'node:fs';
import { connectEngine, type EngineOptions, type SwarmClient } from '../swarm/index.js';
import type { ClusterLayout } from './cluster-layout.js';
import { registryAccountsFile } from './registry-accounts.js';
import { registryAuths } from './private-registry.js';

export function connectManagerEngine(
  layout: ClusterLayout,
  options: EngineOptions = {},
): SwarmClient {
  const registryAuthsMade = existsSync(registryAccountsFile(layout.registryDir));
  return connectEngine(
    { socketPath: layout.managerSocket },
    { ...options, ...(registryAuthsMade ? { registryAuths: registryAuths(layout) } : {}) },
  );
}
