// Rolling a target of any kind to `repository@sha256:…`: kubernetes through kubectl or through a
// commit that Argo CD or Flux applies, docker through the front. kubectl and docker probe what they
// rolled and put the previous release back when it fails; gitops probes with --wait.
import type { AuthorityContext, Deployed, DeployOptions } from './context.ts'
import { rollDocker } from './docker-rollout.ts'
import { promoteGitops } from './gitops.ts'
import { rollKubernetes } from './kubernetes.ts'
import type { ExpectedRelease } from './probes.ts'

export async function rollTarget(context: AuthorityContext, expected: ExpectedRelease, options: DeployOptions, command: string): Promise<Pick<Deployed, 'gitops'>> {
  const { env, progress, probeTimeoutMs } = options
  const { target } = context
  const image = { ref: context.ref, expected }
  if (target.kind === 'kubernetes' && 'gitops' in target) {
    const identity = { name: options.config.SF_GIT_AUTHOR_NAME, email: options.config.SF_GIT_AUTHOR_EMAIL }
    const repository = { repository: context.repository, expected }
    return { gitops: await promoteGitops(target, context.targetName, repository, { env, progress, identity, wait: options.wait, waitTimeoutMs: options.waitTimeoutMs, command }) }
  }
  if (target.kind === 'kubernetes') await rollKubernetes(target, image, { env, progress, probeTimeoutMs })
  else await rollDocker(target, context.targetName, image, { root: options.root, env, config: options.config, progress, probeTimeoutMs, command })
  return {}
}
