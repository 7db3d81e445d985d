// npm run bench:upgrade [-- --clients N --slow N --slow-ms MS --steady-s S]: measure what an upgrade of
// the vega container costs its clients, through the front, in direct mode and against a naive replace,
// and what upgrades judged by their traffic cost them, for a bad and a good release, with and without
// canary steps. Writes bench-results/upgrade-<time>.json and prints the same JSON on stdout.
import path from 'node:path'
import { parseBenchArgs } from '../lib/bench/args.ts'
import { benchUpgrade } from '../lib/bench/bench-upgrade.ts'
import { interruptOnSignals } from '../lib/bench/interrupt.ts'
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const signal = interruptOnSignals()

await runEntry(async () => {
  const options = parseBenchArgs(process.argv.slice(2), 'bench:upgrade', { slowWhen: 'the switch starts', steady: true })
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchUpgrade({ ...options, root: repoRoot, env: process.env, progress: createProgress(), resultsDir, signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})

if (signal.aborted) process.exitCode = 130
