// npm run promote [-- --digest sha256:… --probe-timeout S]: roll prod to a digest that passed test's probes (refused otherwise), then probe it.
// The digest defaults to the one npm run publish-image wrote into dist/sf-release-manifest.json.
import { parseArgs } from 'node:util'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { promote } from '../lib/authority/promote.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() =>
    parseArgs({ options: { digest: { type: 'string' }, 'probe-timeout': { type: 'string', default: '120' }, verbose: { type: 'boolean' } } }),
  )
  const seconds = Number(values['probe-timeout'])
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`--probe-timeout ${JSON.stringify(values['probe-timeout'])}: must be whole seconds from 1 to 3600`)
  }
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const deployed = await promote({ root: repoRoot, env: process.env, config, progress: createProgress(), digest: values.digest, probeTimeoutMs: seconds * 1000 })
  process.stdout.write(`${JSON.stringify(deployed, null, 2)}\n`)
})
