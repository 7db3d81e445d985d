// npm start: build what is missing and serve this checkout on 127.0.0.1:4000.
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { start } from '../lib/server/start.ts'

await runEntry(() => start(repoRoot, process.env, createProgress()))
