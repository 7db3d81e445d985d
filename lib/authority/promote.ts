// npm run promote: roll prod to a digest that passed test's probes, and to no other; probe it the same way.
import { authorityContext, expectedRelease, type Deployed, type DeployOptions } from './context.ts'
import { PromotionRefusedError, RegistryError } from './errors.ts'
import { testedEvidence } from './evidence.ts'
import { rollTarget } from './roll.ts'

export async function promote(options: DeployOptions): Promise<Deployed> {
  const { env, progress } = options
  const context = authorityContext({ root: options.root, config: options.config, digest: options.digest, targetName: 'prod' })

  let done = progress.phase('check the evidence')
  const evidence = await testedEvidence(context.repository, context.digest, context.access, env)
  if (!evidence.ok) {
    done(evidence.why === 'untested' ? 'refused' : 'the registry failed')
    // Only the registry's own "no such tag" says the digest was not tested; anything else is a failure.
    throw evidence.why === 'untested' ? new PromotionRefusedError(`promote refused: ${evidence.reason}`) : new RegistryError(`promote failed: ${evidence.reason}`)
  }
  done(evidence.tag)

  done = progress.phase(`pull ${context.ref}`)
  const expected = await expectedRelease(context, env)
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  const rolled = await rollTarget(context, expected, options, 'npm run promote')
  return { target: 'prod', ref: context.ref, commit: expected.commit, buildId: expected.buildId, ...rolled }
}
