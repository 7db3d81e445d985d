// Rolling an environment to `repository@sha256:…`. Push: each target from here, kubernetes through
// kubectl or through a commit that Argo CD or Flux applies, docker through the front; kubectl and
// docker probe what they rolled and put the previous release back when it fails, gitops probes with
// --wait. Pull (--wait): the docker hosts' controllers roll themselves once the channel moved, and
// this waits for them.
import type { AuthorityContext, Deployed, DeployOptions } from './context.ts'
import { rollDocker } from './docker-rollout.ts'
import { waitForFleet } from './fleet.ts'
import { promoteGitops } from './gitops.ts'
import { rollKubernetes } from './kubernetes.ts'
import type { ExpectedRelease } from './probes.ts'
import { dockerUrl, type Target } from './targets.ts'

export async function rollTarget(context: AuthorityContext, target: Target, expected: ExpectedRelease, options: DeployOptions, command: string): Promise<Pick<Deployed, 'gitops'>> {
  const { env, progress, probeTimeoutMs } = options
  const image = { ref: context.ref, expected }
  if (target.kind === 'kubernetes' && 'gitops' in target) {
    const identity = { name: options.config.SF_GIT_AUTHOR_NAME, email: options.config.SF_GIT_AUTHOR_EMAIL }
    const repository = { repository: context.repository, expected }
    return { gitops: await promoteGitops(target, context.targetName, repository, { env, progress, identity, wait: options.wait, waitTimeoutMs: options.waitTimeoutMs, command }) }
  }
  if (target.kind === 'kubernetes') await rollKubernetes(target, image, { env, progress, probeTimeoutMs })
  else await rollDocker(target, context.targetName, image, { env, config: options.config, progress, probeTimeoutMs, command })
  return {}
}

/**
 * Roll the environment. Without --wait, each target from here; the caller then moves the channel (a
 * host that also follows it then finds its digest served). With --wait, a kubernetes target is still
 * set from here, then the channel moves and the docker hosts are waited for.
 */
export async function rollEnvironment(context: AuthorityContext, expected: ExpectedRelease, options: DeployOptions, command: string): Promise<Pick<Deployed, 'gitops' | 'hosts'>> {
  const { progress } = options
  const docker = context.targets.filter((t) => t.kind === 'docker')
  const pushed = options.wait ? context.targets.filter((t) => t.kind !== 'docker') : context.targets
  let rolled: Pick<Deployed, 'gitops' | 'hosts'> = {}
  for (const target of pushed) rolled = { ...rolled, ...(await rollTarget(context, target, expected, options, command)) }
  if (!options.wait || docker.length === 0) return rolled
  await moveChannel(context, progress)
  const hosts = await waitForFleet(
    docker.map((t) => ({ name: t.name, url: dockerUrl(t) })),
    expected,
    { progress, timeoutMs: options.waitTimeoutMs },
  )
  return { ...rolled, hosts }
}

/** Point the environment's channel tag (test or prod) at the digest: one manifest put, no layer moved. */
export async function moveChannel(context: AuthorityContext, progress: DeployOptions['progress']): Promise<string> {
  const done = progress.phase(`move the channel ${context.targetName}`)
  const before = await context.client.resolve(context.targetName)
  await context.client.tag(context.targetName, context.digest)
  done(`${context.repository}:${context.targetName} → ${context.digest}${before && before !== context.digest ? ` (was ${before.slice(0, 19)})` : before ? ' (already there)' : ''}`)
  return `${context.repository}:${context.targetName}`
}
