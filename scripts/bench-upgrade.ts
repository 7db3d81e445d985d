// npm run bench:upgrade [-- --clients N --slow N --slow-ms MS]: measure what an upgrade of the vega
// container costs its clients, against a naive replace. Writes bench-results/upgrade-<time>.json and
// prints the same JSON on stdout.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchDefaults, benchUpgrade } from '../lib/bench/bench-upgrade.ts'
import { BenchError } from '../lib/bench/errors.ts'
import { runEntry } from '../lib/cli.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const usage = `usage: npm run bench:upgrade [-- --clients N] [--slow N] [--slow-ms MS] [--verbose]
  --clients N    keep-alive clients looping GET /api/healthz (default ${benchDefaults.clients})
  --slow N       held requests in flight when the drain starts (default ${benchDefaults.slowRequests})
  --slow-ms MS   how long each is held (default ${benchDefaults.slowHoldMs})`

// A signal interrupts the run, which then removes what it made. npm and tsx relay one more copy of
// the signal, so later ones are ignored; a run that does not end within a minute is left behind.
const interruption = new AbortController()
const onSignal = (signal: NodeJS.Signals) => {
  if (interruption.signal.aborted) return
  process.stderr.write(`${signal}: stopping the benchmark and removing its containers, image and folders\n`)
  interruption.abort(new BenchError(`interrupted by ${signal}`))
  setTimeout(() => process.exit(130), 60_000).unref()
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

await runEntry(async () => {
  const options = parseOptions(process.argv.slice(2))
  const progress = createProgress()
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchUpgrade({ ...options, root: repoRoot, env: process.env, progress, resultsDir, signal: interruption.signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})

if (interruption.signal.aborted) process.exitCode = 130

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
