/** CPU and memory as users type them, turned into the generic resources nodes advertise. */
import { usageError } from '../errors.js';

const MEMORY = /^(\d+(?:\.\d+)?)\s*(k|kb|m|mb|mi|g|gb|gi)?$/i;
const TO_MB: Record<string, number> = {
  k: 1 / 1024,
  kb: 1 / 1024,
  m: 1,
  mb: 1,
  mi: 1,
  g: 1024,
  gb: 1024,
  gi: 1024,
};

/** '300m', '1.5g', '512' (MB when no unit is given) -> whole megabytes. */
export function parseMemoryMb(text: string): number {
  const match = MEMORY.exec(text.trim());
  const mb = match ? Math.ceil(Number(match[1]) * TO_MB[(match[2] ?? 'm').toLowerCase()]!) : NaN;
  if (!(mb > 0)) throw usageError(`invalid memory '${text}': use a size such as 300m or 1g`);
  return mb;
}

/** '0.5' CPUs or '500m' millicores -> millicores. */
export function parseCpuMilli(text: string): number {
  const trimmed = text.trim();
  const milli = /^\d+m$/.test(trimmed)
    ? Number(trimmed.slice(0, -1))
    : /^\d+(\.\d+)?$/.test(trimmed)
      ? Math.round(Number(trimmed) * 1000)
      : NaN;
  if (!(milli > 0))
    throw usageError(`invalid cpu '${text}': use CPUs such as 0.5 or millicores such as 500m`);
  return milli;
}
