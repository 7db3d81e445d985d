// npm run docker:vega:rollback [-- --json --lock-wait S --probe-timeout S]: put the previous release
// back as the vega server.
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { parseUpgradeArgs } from '../lib/vega/args.ts'
import { createReport } from '../lib/vega/report.ts'
import { rollbackVega } from '../lib/vega/rollback.ts'
import { vegaContext } from '../lib/vega/context.ts'

await runEntry(async () => {
  const args = parseUpgradeArgs(process.argv.slice(2), { dryRun: false })
  const report = createReport({ json: args.json, eventsFile: args.eventsFile })
  const ctx = { ...vegaContext(repoRoot, process.env, report), progress: report }
  const result = await rollbackVega(ctx, { ...args, command: args.container ? `upgrader container ${args.container}` : 'npm run docker:vega:rollback' }).catch((error: Error) => {
    report.event('outcome', { outcome: 'rollback-failed', error: error.message })
    throw error
  })
  report.event('outcome', { ...result })
  process.stderr.write(`rolled back ${result.name} to build ${result.to?.buildId} (commit ${result.to?.commit?.slice(0, 12)})\n`)
})
