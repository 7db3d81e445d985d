// npm run promote: roll prod to a digest that passed test's probes, and to no other; probe it the same
// way, and point the channel `prod` at it. With --wait the channel moves first and prod's hosts roll
// themselves (each checks the evidence again).
import { authorityContext, expectedRelease, type Deployed, type DeployOptions } from './context.ts'
import { PromotionRefusedError, RegistryError } from './errors.ts'
import { testedEvidence } from './evidence.ts'
import { moveChannel, rollEnvironment } from './roll.ts'

export async function promote(options: DeployOptions): Promise<Deployed> {
  const { env, progress } = options
  const context = authorityContext({ root: options.root, config: options.config, digest: options.digest, targetName: 'prod', wait: options.wait })

  let done = progress.phase('check the evidence')
  const evidence = await testedEvidence(context.client, context.digest)
  if (!evidence.ok) {
    done(evidence.why === 'untested' ? 'refused' : 'the registry failed')
    // Only the registry's own "no such tag" says the digest was not tested; anything else is a failure.
    throw evidence.why === 'untested' ? new PromotionRefusedError(`promote refused: ${evidence.reason}`) : new RegistryError(`promote failed: ${evidence.reason}`)
  }
  done(evidence.tag)

  done = progress.phase(options.wait ? `read ${context.ref}` : `pull ${context.ref}`)
  const expected = await expectedRelease(context, env, options)
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  const rolled = await rollEnvironment(context, expected, options, 'npm run promote')
  const channel = rolled.hosts ? `${context.repository}:prod` : await moveChannel(context, progress)
  return { target: 'prod', ref: context.ref, commit: expected.commit, buildId: expected.buildId, channel, ...rolled }
}
