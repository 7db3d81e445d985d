// npm run deploy-test: roll the test target to a published digest, probe it, and record that the
// digest passed (the tested-<hex> tag) so promote will take it.
import { authorityContext, expectedRelease, type Deployed, type DeployOptions } from './context.ts'
import { recordTested } from './evidence.ts'
import { rollTarget } from './roll.ts'

export async function deployTest(options: DeployOptions): Promise<Deployed> {
  const { env, progress } = options
  const context = authorityContext({ root: options.root, config: options.config, digest: options.digest, targetName: 'test' })

  let done = progress.phase(`pull ${context.ref}`)
  const expected = await expectedRelease(context, env)
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  await rollTarget(context, expected, options, 'npm run deploy-test')

  done = progress.phase('record the evidence')
  const evidence = await recordTested(context.client, context.digest)
  done(evidence)

  done = progress.phase('move the channel test')
  await context.client.tag('test', context.digest)
  done(`${context.repository}:test → ${context.digest}`)
  return { target: 'test', ref: context.ref, commit: expected.commit, buildId: expected.buildId, evidence }
}
