/** build: a tarball's Dockerfile built on the manager, pushed to the private registry. */
import { existsSync, statSync } from 'node:fs';
import { usageError } from '../../errors.js';
import { buildContext, checkBuildTarball } from '../../containers/build-context.js';
import { checkContainerName } from '../../containers/container-names.js';
import type { CommandContext } from '../context.js';
import type { BuildOptions } from './actions.js';
import { managerFor } from './manager-connection.js';
import { pushName } from '../../cluster/private-registry.js';

export async function buildAction(
  { config, output }: CommandContext,
  options: BuildOptions,
): Promise<void> {
  const name = checkContainerName(options.name);
  const file = options.filename;
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw usageError(`${file} does not exist: give the tarball holding ${name}/Dockerfile`);
  }
  const summary = await checkBuildTarball(file, name, {
    maxBytes: config.containers.maxContextMb * 1048576,
  });
  const { layout, manager } = managerFor(config);
  const image = `${layout.registry}/${name}:latest`;
  const started = performance.now();
  const progress = options.json ? undefined : output.progress(`building ${name}`);
  try {
    await manager.buildImage(buildContext(file, name), image, (p) => {
      const step = p.stream?.trim();
      if (step?.startsWith('Step ')) progress?.phase(`building ${name}: ${step}`);
    });
    // Pushed on the registry's read-write address; nodes pull it by `image`.
    const pushed = pushName(layout, image);
    progress?.phase(`pushing ${image}`);
    await manager.tagImage(image, pushed.replace(/:latest$/, ''), 'latest');
    await manager.pushImage(pushed);
  } finally {
    progress?.done();
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.json) return output.json({ name, image, ...summary, seconds });
  output.line(
    `image ${name} built from ${summary.files} files and pushed as ${image} in ${seconds.toFixed(1)} s`,
  );
}
