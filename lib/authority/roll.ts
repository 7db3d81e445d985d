// Rolling an environment to `repository@sha256:…`. Push: each target from here, kubernetes through
// kubectl, docker through the front; both probe what they rolled and put the previous release back
// when it fails. Pull (--wait): the docker hosts' controllers roll themselves once the channel moved,
// and this waits for them; a kubernetes target is still set from here.
import type { AuthorityContext, DeployOptions } from './context.ts'
import { rollDocker } from './docker-rollout.ts'
import { waitForFleet, type HostReport } from './fleet.ts'
import { rollKubernetes } from './kubernetes.ts'
import type { ExpectedRelease } from './probes.ts'
import { dockerUrl, type Target } from './targets.ts'

export async function rollTarget(context: AuthorityContext, target: Target, expected: ExpectedRelease, options: DeployOptions, command: string): Promise<void> {
  const { env, progress, probeTimeoutMs } = options
  const image = { ref: context.ref, expected }
  if (target.kind === 'kubernetes') return rollKubernetes(target, image, { env, progress, probeTimeoutMs })
  return rollDocker(target, context.targetName, image, { root: options.root, env, config: options.config, progress, probeTimeoutMs, command })
}

/**
 * Roll the environment. Without --wait, each target from here and then the channel moves (a host
 * that also follows it then finds its digest served). With --wait, the channel moves first and the
 * docker hosts are waited for. `beforeMove` runs once the environment is proven, before the channel
 * moves in push mode (deploy-test records the evidence there).
 */
export async function rollEnvironment(context: AuthorityContext, expected: ExpectedRelease, options: DeployOptions, command: string): Promise<HostReport[] | undefined> {
  const { progress } = options
  const docker = context.targets.filter((t) => t.kind === 'docker')
  const pushed = options.wait ? context.targets.filter((t) => t.kind !== 'docker') : context.targets
  for (const target of pushed) await rollTarget(context, target, expected, options, command)
  if (!options.wait || docker.length === 0) return undefined
  await moveChannel(context, progress)
  return waitForFleet(
    docker.map((t) => ({ name: t.name, url: dockerUrl(t) })),
    expected,
    { progress, timeoutMs: options.waitTimeoutMs },
  )
}

/** Point the environment's channel tag (test or prod) at the digest: one manifest put, no layer moved. */
export async function moveChannel(context: AuthorityContext, progress: DeployOptions['progress']): Promise<string> {
  const done = progress.phase(`move the channel ${context.targetName}`)
  const before = await context.client.resolve(context.targetName)
  await context.client.tag(context.targetName, context.digest)
  done(`${context.repository}:${context.targetName} → ${context.digest}${before && before !== context.digest ? ` (was ${before.slice(0, 19)})` : before ? ' (already there)' : ''}`)
  return `${context.repository}:${context.targetName}`
}
