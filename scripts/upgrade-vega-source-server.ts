// npm run docker:vega:upgrade [-- --json --dry-run --lock-wait S --probe-timeout S]: blue/green
// replace the vega container with a verified new build.
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { parseUpgradeArgs } from '../lib/vega/args.ts'
import { createReport } from '../lib/vega/report.ts'
import { vegaContext } from '../lib/vega/context.ts'
import { UpgradeError } from '../lib/front/errors.ts'
import { upgradeVega } from '../lib/vega/upgrade.ts'

await runEntry(async () => {
  const args = parseUpgradeArgs(process.argv.slice(2))
  const report = createReport({ json: args.json, eventsFile: args.eventsFile })
  const ctx = { ...vegaContext(repoRoot, process.env, report), progress: report }
  try {
    const result = await upgradeVega(ctx, { ...args, command: args.container ? `upgrader container ${args.container}` : 'npm run docker:vega:upgrade' })
    if (result) report.event('outcome', { ...result })
    if (result) process.stderr.write(`upgraded ${result.name}: ${result.from?.commit?.slice(0, 12) ?? '(nothing)'} -> ${result.to?.commit?.slice(0, 12)} (build ${result.to?.buildId})\n`)
  } catch (error) {
    report.event('outcome', { outcome: error instanceof UpgradeError ? error.outcome : 'failed', error: (error as Error).message })
    throw error
  }
})
