// npm run bench:front [-- --clients N --slow N --slow-ms MS]: measure what a seamless reload of the
// front's configuration and a replacement of its container cost prod's clients. Writes
// bench-results/front-<time>.json and prints the same JSON on stdout.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchDefaults } from '../lib/bench/bench-upgrade.ts'
import { benchFront } from '../lib/bench/front.ts'
import { interruptOnSignals } from '../lib/bench/interrupt.ts'
import { runEntry } from '../lib/cli.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const usage = `usage: npm run bench:front [-- --clients N] [--slow N] [--slow-ms MS] [--verbose]
  --clients N    keep-alive clients looping GET /api/healthz (default ${benchDefaults.clients})
  --slow N       held requests in flight when the reload or the replace starts (default ${benchDefaults.slowRequests})
  --slow-ms MS   how long each is held (default ${benchDefaults.slowHoldMs})`

const signal = interruptOnSignals()

await runEntry(async () => {
  const options = parseOptions(process.argv.slice(2))
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchFront({ ...options, root: repoRoot, env: process.env, progress: createProgress(), resultsDir, signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})

if (signal.aborted) process.exitCode = 130

function parseOptions(args: string[]) {
  let values
  try {
    ;({ values } = parseArgs({ args, options: { clients: { type: 'string' }, slow: { type: 'string' }, 'slow-ms': { type: 'string' }, verbose: { type: 'boolean' } } }))
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${usage}`)
  }
  const count = (flag: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`--${flag} ${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}\n${usage}`)
    return Number(raw)
  }
  return {
    clients: count('clients', values.clients, benchDefaults.clients, 1, 256),
    slowRequests: count('slow', values.slow, benchDefaults.slowRequests, 1, 64),
    slowHoldMs: count('slow-ms', values['slow-ms'], benchDefaults.slowHoldMs, 1, 600_000),
  }
}
