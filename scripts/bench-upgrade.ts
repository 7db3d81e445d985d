// npm run bench:upgrade [-- --clients N --slow N --slow-ms MS --steady-s S]: measure what an upgrade of
// the vega container costs its clients, through the front, in direct mode and against a naive replace.
// Writes bench-results/upgrade-<time>.json and prints the same JSON on stdout.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchDefaults, benchUpgrade } from '../lib/bench/bench-upgrade.ts'
import { interruptOnSignals } from '../lib/bench/interrupt.ts'
import { runEntry } from '../lib/cli.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const usage = `usage: npm run bench:upgrade [-- --clients N] [--slow N] [--slow-ms MS] [--steady-s S] [--verbose]
  --clients N    keep-alive clients looping GET /api/healthz (default ${benchDefaults.clients})
  --slow N       held requests in flight when the switch starts (default ${benchDefaults.slowRequests})
  --slow-ms MS   how long each is held (default ${benchDefaults.slowHoldMs})
  --steady-s S   length of each steady run, nothing changing: the price of the front's hop (default ${benchDefaults.steadySeconds})`

const signal = interruptOnSignals()

await runEntry(async () => {
  const options = parseOptions(process.argv.slice(2))
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchUpgrade({ ...options, root: repoRoot, env: process.env, progress: createProgress(), resultsDir, signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})

if (signal.aborted) process.exitCode = 130

function parseOptions(args: string[]) {
  let values
  try {
    ;({ values } = parseArgs({ args, options: { clients: { type: 'string' }, slow: { type: 'string' }, 'slow-ms': { type: 'string' }, 'steady-s': { type: 'string' }, verbose: { type: 'boolean' } } }))
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
    steadySeconds: count('steady-s', values['steady-s'], benchDefaults.steadySeconds, 1, 600),
  }
}
