// npm run bench:front [-- --clients N --slow N --slow-ms MS]: measure what replacing the front costs
// prod's clients (the way docker:vega:front does it, and the old stop-and-start as the baseline), and a
// seamless reload of its configuration. Writes bench-results/front-<time>.json and prints the same JSON
// on stdout.
import path from 'node:path'
import { parseBenchArgs } from '../lib/bench/args.ts'
import { benchFront } from '../lib/bench/front.ts'
import { interruptOnSignals } from '../lib/bench/interrupt.ts'
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const signal = interruptOnSignals()

await runEntry(async () => {
  const options = parseBenchArgs(process.argv.slice(2), 'bench:front', { slowWhen: 'the replace or the reload starts', steady: false })
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchFront({ ...options, root: repoRoot, env: process.env, progress: createProgress(), resultsDir, signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})

if (signal.aborted) process.exitCode = 130
