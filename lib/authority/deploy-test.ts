// npm run deploy-test: roll the test target(s) to a published digest, probe it, record that the digest
// passed (the tag tested-<hex>) so promote will take it, and point the channel `test` at it. With
// --wait the channel moves first and test's hosts roll themselves; the evidence follows their success.
import { ConfigError } from '../errors.ts'
import { authorityContext, expectedRelease, type Deployed, type DeployOptions } from './context.ts'
import { recordTested } from './evidence.ts'
import { moveChannel, rollEnvironment } from './roll.ts'

export async function deployTest(options: DeployOptions): Promise<Deployed> {
  const { env, progress } = options
  const context = authorityContext({ root: options.root, config: options.config, digest: options.digest, targetName: 'test', wait: options.wait })
  if (context.targets.some((t) => 'gitops' in t) && !options.wait) {
    // The evidence says the digest passed test's probes; a commit that Argo CD or Flux has yet to apply passed nothing.
    throw new ConfigError(`targets.test is a gitops target: deploy-test records the digest as tested only once test runs it and passes the probes, so it needs --wait (npm run deploy-test -- --wait)`)
  }

  let done = progress.phase(options.wait ? `read ${context.ref}` : `pull ${context.ref}`)
  const expected = await expectedRelease(context, env, options)
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  const rolled = await rollEnvironment(context, expected, options, 'npm run deploy-test')

  done = progress.phase('record the evidence')
  const evidence = await recordTested(context.client, context.digest)
  done(evidence)
  const channel = rolled.hosts ? `${context.repository}:test` : await moveChannel(context, progress)
  return { target: 'test', ref: context.ref, commit: expected.commit, buildId: expected.buildId, evidence, channel, ...rolled }
}
