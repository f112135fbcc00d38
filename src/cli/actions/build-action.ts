/** build: a tarball's Dockerfile built in a sandbox of its own, pushed to the private registry. */
import { existsSync, statSync } from 'node:fs';
import { MicadoError, usageError } from '../../errors.js';
import { buildContext, checkBuildTarball } from '../../containers/build-context.js';
import {
  checkContainerName,
  clientOf,
  containerNameFor,
} from '../../containers/container-names.js';
import { buildRepository } from '../../containers/image-ownership.js';
import type { CommandContext } from '../context.js';
import type { BuildOptions } from './actions.js';
import { managerFor } from './manager-connection.js';
import { pushName } from '../../cluster/private-registry.js';
import {
  inBuildSandbox,
  sweepBuildSandboxes,
  type BuildLimits,
} from '../../cluster/build-sandbox.js';

export async function buildAction(
  { config, output }: CommandContext,
  options: BuildOptions,
): Promise<void> {
  const name = checkContainerName(options.name);
  if (options.client !== undefined && options.shared)
    throw usageError(
      '--client and --shared are two owners: build for one client, or shared for all',
    );
  const client =
    options.client === undefined ? undefined : clientOf(containerNameFor(options.client));
  const repository = buildRepository(name, client);
  const file = options.filename;
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw usageError(`${file} does not exist: give the tarball holding ${name}/Dockerfile`);
  }
  const summary = await checkBuildTarball(file, name, {
    maxBytes: config.containers.maxContextMb * 1048576,
  });
  const { layout } = managerFor(config);
  const image = `${layout.registry}/${repository}:latest`;
  const started = performance.now();
  const progress = options.json ? undefined : output.progress(`building ${name}`);
  const limits = config.build;
  /** The last lines a step printed: a failure's own words are among them. */
  let lines: string[] = [];
  try {
    await sweepBuildSandboxes(layout, false);
    progress?.phase(`building ${name}: starting its sandbox`);
    await inBuildSandbox(layout, limits, async (engine) => {
      const steps = { network: 'none', memoryBytes: limits.memoryMb * 1_048_576, cpus: limits.cpus } as const; // prettier-ignore
      await engine.buildImage(buildContext(file, name), image, (p) => {
        // eslint-disable-next-line no-control-regex -- the engine colours its lines
        const step = p.stream?.replace(/\x1b\[[0-9;]*m/g, '').trim();
        if (step?.startsWith('Step ')) progress?.phase(`building ${name}: ${step}`);
        else if (step && !/^(-+>|Removing intermediate container)/.test(step)) lines = [...lines, ...step.split('\n')].slice(-8); // prettier-ignore
      }, steps); // prettier-ignore
      // Pushed on the registry's read-write address; nodes pull it by `image`.
      const pushed = pushName(layout, image);
      progress?.phase(`pushing ${image}`);
      await engine.tagImage(image, pushed.replace(/:latest$/, ''), 'latest');
      await engine.pushImage(pushed);
    });
  } catch (err) {
    // The line that says what went wrong, else the last one.
    const said = lines.findLast((l) => FAILURE_WORDS.test(l)) ?? lines.at(-1) ?? '';
    throw withLimitHint(err, said, limits);
  } finally {
    progress?.done();
  }
  const seconds = (performance.now() - started) / 1000;
  const owner = client === undefined ? 'shared' : `client ${client}'s`;
  if (options.json)
    return output.json({ name, image, client: client ?? null, ...summary, seconds });
  output.line(
    `image ${name} (${owner}) built from ${summary.files} files and pushed as ${image} in ${seconds.toFixed(1)} s`,
  );
}

const FAILURE_WORDS = /error|can't|cannot|unable|denied|unreachable|no space|not found|killed/i;

/** A step that failed: its last words, and the limit of the sandbox it met, if one. */
function withLimitHint(err: unknown, said: string, limits: BuildLimits): unknown {
  if (!(err instanceof MicadoError)) return err;
  const code = /returned a non-zero code: (\d+)/.exec(err.message)?.[1];
  if (code === undefined) return err;
  const hint =
    code === '137'
      ? `killed past build.memoryMb (${limits.memoryMb} MB)`
      : /no space left on device/i.test(said)
        ? `its layers filled build.diskMb (${limits.diskMb} MB)`
        : /can't fork|cannot fork|resource temporarily unavailable/i.test(said)
          ? `past build.pidsLimit (${limits.pidsLimit} processes)`
          : undefined;
  const words = said ? `: ${said}` : '';
  return new MicadoError(err.kind, `${err.message}${words}${hint ? ` (${hint})` : ''}`, { cause: err }); // prettier-ignore
}
