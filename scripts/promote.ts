// npm run promote [-- --digest sha256:… --probe-timeout S --wait --wait-timeout S]: roll prod to a digest that passed test's probes (refused otherwise), then probe it.
// The digest defaults to the one npm run publish-image wrote into dist/sf-release-manifest.json;
// --wait waits until a gitops target runs it.
import { parseDeployArgs } from '../lib/authority/args.ts'
import { runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { promote } from '../lib/authority/promote.ts'

await runEntry(async () => {
  const args = parseDeployArgs(process.argv.slice(2))
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const deployed = await promote({ root: repoRoot, env: process.env, config, progress: createProgress(), ...args })
  process.stdout.write(`${JSON.stringify(deployed, null, 2)}\n`)
})
