// npm run deploy-test [-- --digest sha256:… --probe-timeout S --wait --wait-timeout S]: roll the test target to a published digest, probe it, and record that it passed; with --wait, move the channel test and wait for its hosts.
// The digest defaults to the one npm run publish-image wrote into dist/sf-release-manifest.json.
import { parseDeployArgs } from '../lib/authority/args.ts'
import { runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { deployTest } from '../lib/authority/deploy-test.ts'

await runEntry(async () => {
  const args = parseDeployArgs(process.argv.slice(2))
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const deployed = await deployTest({ root: repoRoot, env: process.env, config, progress: createProgress(), ...args, wait: args.wait || config.SF_DEPLOY_MODE === 'pull' })
  process.stdout.write(`${JSON.stringify(deployed, null, 2)}\n`)
})
