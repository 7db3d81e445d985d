// npm run docker:vega:run: the compose-less path of docker:vega:up, for the build already staged:
// build docker/Dockerfile.source-server and run the vega container with docker run.
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { vegaContext } from '../lib/vega/context.ts'
import { describeServing, runVegaSourceServer } from '../lib/vega/up.ts'

await runEntry(async () => {
  const serving = await runVegaSourceServer(vegaContext(repoRoot, process.env, createProgress()))
  process.stdout.write(describeServing(serving) + '\n')
})
