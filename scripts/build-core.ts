// npm run build:core: bundle the loader into dist/loader.js.
import path from 'node:path'
import { runEntry } from '../lib/cli.ts'
import { buildCore } from '../lib/release/loader-bundle.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'

await runEntry(async () => {
  const done = createProgress().phase('bundle dist/loader.js')
  const loader = await buildCore(repoRoot)
  done(path.relative(repoRoot, loader))
})
