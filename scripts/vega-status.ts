// npm run docker:vega:status [-- --json]: what the vega server runs, and the last upgrade attempts.
import { runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { repoRoot } from '../lib/paths.ts'
import { formatStatus, vegaStatus } from '../lib/vega/status.ts'

await runEntry(async () => {
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const status = await vegaStatus(config, process.env)
  process.stdout.write((process.argv.includes('--json') ? JSON.stringify(status, null, 2) : formatStatus(status)) + '\n')
  return status.ready.status === 200 ? 0 : 1
})
