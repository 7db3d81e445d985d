// npm run docker:vega:front [-- --dry-run] [-- --lock-wait <s>]: replace the vega server's front with no
// gap: a new HAProxy takes the listening sockets from the old one, which finishes what it serves.
import { parseArgs } from 'node:util'
import { runEntry } from '../lib/cli.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { vegaContext } from '../lib/vega/context.ts'
import { replaceVegaFront } from '../lib/vega/front.ts'

const usage = `flags:
  --dry-run          print what it would do, with the docker commands, and change nothing
  --lock-wait <s>    wait up to <s> seconds for an upgrade to finish (default 0: refuse)`

await runEntry(async () => {
  let values
  try {
    ;({ values } = parseArgs({ args: process.argv.slice(2), options: { 'dry-run': { type: 'boolean' }, 'lock-wait': { type: 'string' } } }))
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${usage}`)
  }
  const wait = values['lock-wait'] ?? '0'
  if (!/^\d+$/.test(wait) || Number(wait) > 86_400) throw new ConfigError(`--lock-wait ${JSON.stringify(wait)}: must be a whole number of seconds from 0 to 86400`)
  const lines = await replaceVegaFront(vegaContext(repoRoot, process.env, createProgress()), { dryRun: values['dry-run'] ?? false, lockWaitMs: Number(wait) * 1000 })
  process.stdout.write(lines.map((l) => `${l}\n`).join('') || 'the front is as it should be\n')
})
