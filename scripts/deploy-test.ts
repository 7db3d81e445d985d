// npm run deploy-test [-- --digest sha256:… --probe-timeout S]: roll the test target to a published digest, probe it, and record that it passed.
// The digest defaults to the one npm run publish-image wrote into dist/sf-release-manifest.json.
import { parseArgs } from 'node:util'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { deployTest } from '../lib/authority/deploy-test.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() =>
    parseArgs({ options: { digest: { type: 'string' }, 'probe-timeout': { type: 'string', default: '120' }, verbose: { type: 'boolean' } } }),
  )
  const seconds = Number(values['probe-timeout'])
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`--probe-timeout ${JSON.stringify(values['probe-timeout'])}: must be whole seconds from 1 to 3600`)
  }
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const deployed = await deployTest({ root: repoRoot, env: process.env, config, progress: createProgress(), digest: values.digest, probeTimeoutMs: seconds * 1000 })
  process.stdout.write(`${JSON.stringify(deployed, null, 2)}\n`)
})
