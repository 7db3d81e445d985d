// npm run docker:vega:up: build, then run (or replace) the one shared vega server container.
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { describeServing } from '../lib/serving.ts'
import { vegaContext, vegaUp } from '../lib/vega-up.ts'

await runEntry(async () => {
  const serving = await vegaUp(vegaContext(repoRoot, process.env, createProgress()))
  process.stdout.write(describeServing(serving) + '\n')
})
