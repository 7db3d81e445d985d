// npm run docker:vega:up: build, then run (or replace) the one shared vega server container.
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { vegaContext } from '../lib/vega/context.ts'
import { describeServing, vegaUp } from '../lib/vega/up.ts'

await runEntry(async () => {
  const serving = await vegaUp(vegaContext(repoRoot, process.env, createProgress()))
  process.stdout.write(describeServing(serving) + '\n')
})
