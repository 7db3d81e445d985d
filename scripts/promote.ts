// npm run promote [-- --digest sha256:… --probe-timeout S --wait --wait-timeout S]: roll prod to a digest that passed test's probes (refused otherwise), then probe it; with --wait, move the channel prod and wait for its hosts.
// The digest defaults to the one npm run publish-image wrote into dist/sf-release-manifest.json.
import { parseDeployArgs } from '../lib/authority/args.ts'
import { runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { promote } from '../lib/authority/promote.ts'

await runEntry(async () => {
  const args = parseDeployArgs(process.argv.slice(2))
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const deployed = await promote({ root: repoRoot, env: process.env, config, progress: createProgress(), ...args, wait: args.wait || config.SF_DEPLOY_MODE === 'pull' })
  process.stdout.write(`${JSON.stringify(deployed, null, 2)}\n`)
})
