// npm run build:web-host: build web/ with Next's standalone output and stage it under dist/web.
import { runEntry } from '../lib/cli.ts'
import { createProgress } from '../lib/progress.ts'
import { repoRoot } from '../lib/paths.ts'
import { buildWebHost } from '../lib/release/web-host.ts'

await runEntry(async () => {
  const build = await buildWebHost({ root: repoRoot, env: process.env, progress: createProgress() })
  process.stdout.write(`${JSON.stringify({ buildId: build.buildId, digest: build.digest, serverJs: build.serverJs })}\n`)
})
