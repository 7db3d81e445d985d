// npm run bench:start [-- --runs N]: build and start times, written to bench-results/start-<time>.json.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchStart } from '../lib/bench/start.ts'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { engineAnswers } from '../lib/docker/engine.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() => parseArgs({ options: { runs: { type: 'string' }, verbose: { type: 'boolean' } } }))
  const runs = Number(values.runs ?? '5')
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new ConfigError(`--runs ${JSON.stringify(values.runs)}: must be a whole number from 1 to 50`)
  const figures = await benchStart({ root: repoRoot, env: process.env, progress: createProgress(), runs })
  const engine = await engineAnswers(process.env)
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}`, memoryGiB: Math.round(os.totalmem() / 2 ** 30 * 10) / 10, node: process.version, docker: engine.ok ? engine.version : null, loadAverage: os.loadavg() },
    figures,
  }
  const dir = path.join(repoRoot, 'bench-results')
  await fs.mkdir(dir, { recursive: true })
  const file = path.join(dir, `start-${result.at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`)
  await fs.writeFile(file, JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  process.stderr.write(`wrote ${path.relative(repoRoot, file)}\n`)
})
