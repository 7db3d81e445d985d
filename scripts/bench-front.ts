// npm run bench:front [-- --clients N --slow N --slow-ms MS]: measure what a seamless reload of the
// front's configuration and a replacement of its container cost prod's clients. Writes
// bench-results/front-<time>.json and prints the same JSON on stdout.
import path from 'node:path'
import { parseBenchArgs } from '../lib/bench/args.ts'
import { benchFront } from '../lib/bench/front.ts'
import { interruptOnSignals } from '../lib/bench/interrupt.ts'
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const signal = interruptOnSignals()

await runEntry(async () => {
  const options = parseBenchArgs(process.argv.slice(2), 'bench:front', { slowWhen: 'the reload or the replace starts', steady: false })
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchFront({ ...options, root: repoRoot, env: process.env, progress: createProgress(), resultsDir, signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})

if (signal.aborted) process.exitCode = 130
