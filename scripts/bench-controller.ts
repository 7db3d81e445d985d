// npm run bench:controller [-- --hosts 1,2,4 --interval S --fast-interval S --idle-checks N]: measure
// the pull model on this engine: promote --wait to every host serving, for fleets of docker hosts each
// with its own controller, and what an idle controller costs per check. Writes
// bench-results/controller-<time>.json, prints the same JSON on stdout and a summary on stderr.
import path from 'node:path'
import { benchController } from '../lib/bench/controller.ts'
import { parseControllerBenchArgs } from '../lib/bench/controller-args.ts'
import { formatControllerSummary } from '../lib/bench/controller-figures.ts'
import { interruptOnSignals } from '../lib/bench/interrupt.ts'
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

const signal = interruptOnSignals()

await runEntry(async () => {
  const options = parseControllerBenchArgs(process.argv.slice(2))
  const resultsDir = path.join(repoRoot, 'bench-results')
  const { file, result } = await benchController({ ...options, root: repoRoot, env: process.env, progress: createProgress(), resultsDir, signal })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  process.stderr.write(`${formatControllerSummary(result)}\nwrote ${path.relative(repoRoot, file)}\n`)
})

if (signal.aborted) process.exitCode = 130
