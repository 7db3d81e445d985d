// npm run deploy-test: roll the test target(s) to a published digest, probe it, record that the digest
// passed (the tag tested-<hex>) so promote will take it, and point the channel `test` at it. With
// --wait the channel moves first and test's hosts roll themselves; the evidence follows their success.
import { authorityContext, expectedRelease, type Deployed, type DeployOptions } from './context.ts'
import { recordTested } from './evidence.ts'
import { moveChannel, rollEnvironment } from './roll.ts'

export async function deployTest(options: DeployOptions): Promise<Deployed> {
  const { env, progress } = options
  const context = authorityContext({ root: options.root, config: options.config, digest: options.digest, targetName: 'test', wait: options.wait })

  let done = progress.phase(options.wait ? `read ${context.ref}` : `pull ${context.ref}`)
  const expected = await expectedRelease(context, env, options)
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  const hosts = await rollEnvironment(context, expected, options, 'npm run deploy-test')

  done = progress.phase('record the evidence')
  const evidence = await recordTested(context.client, context.digest)
  done(evidence)
  const channel = hosts ? `${context.repository}:test` : await moveChannel(context, progress)
  return { target: 'test', ref: context.ref, commit: expected.commit, buildId: expected.buildId, evidence, channel, ...(hosts ? { hosts } : {}) }
}
