// Rolling a target of either kind to `repository@sha256:…`: kubernetes through kubectl, docker through
// the front. Both probe what they rolled and put the previous release back when it fails.
import type { AuthorityContext, DeployOptions } from './context.ts'
import { rollDocker } from './docker-rollout.ts'
import { rollKubernetes } from './kubernetes.ts'
import type { ExpectedRelease } from './probes.ts'

export async function rollTarget(context: AuthorityContext, expected: ExpectedRelease, options: DeployOptions, command: string): Promise<void> {
  const { env, progress, probeTimeoutMs } = options
  const image = { ref: context.ref, expected }
  if (context.target.kind === 'kubernetes') return rollKubernetes(context.target, image, { env, progress, probeTimeoutMs })
  return rollDocker(context.target, context.targetName, image, { root: options.root, env, config: options.config, progress, probeTimeoutMs, command })
}
