// npm run deploy-test: roll the test target to a published digest, probe it, and record that the
// digest passed (the tested-<hex> tag) so promote will take it.
import { ConfigError } from '../errors.ts'
import { authorityContext, expectedRelease, type Deployed, type DeployOptions } from './context.ts'
import { recordTested } from './evidence.ts'
import { rollTarget } from './roll.ts'

export async function deployTest(options: DeployOptions): Promise<Deployed> {
  const { env, progress } = options
  const context = authorityContext({ root: options.root, config: options.config, digest: options.digest, targetName: 'test' })
  if ('gitops' in context.target && !options.wait) {
    // The evidence says the digest passed test's probes; a commit that Argo CD or Flux has yet to apply passed nothing.
    throw new ConfigError(`targets.test is a gitops target: deploy-test records the digest as tested only once test runs it and passes the probes, so it needs --wait (npm run deploy-test -- --wait)`)
  }

  let done = progress.phase(`pull ${context.ref}`)
  const expected = await expectedRelease(context, env)
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  const rolled = await rollTarget(context, expected, options, 'npm run deploy-test')

  done = progress.phase('record the evidence')
  const evidence = await recordTested(context.repository, context.digest, context.access, env)
  done(evidence)
  return { target: 'test', ref: context.ref, commit: expected.commit, buildId: expected.buildId, ...rolled, evidence }
}
