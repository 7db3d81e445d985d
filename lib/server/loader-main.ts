// The entry bundled into dist/loader.js by npm run build:core.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runEntry } from '../cli.ts'
import { loaderUsage, planServer, runServer } from './loader.ts'

await runEntry(async () => {
  const distDir = path.dirname(fileURLToPath(import.meta.url))
  const plan = await planServer(process.argv.slice(2), process.env, distDir)
  if (!plan) {
    process.stdout.write(loaderUsage + '\n')
    return 0
  }
  return runServer(plan)
})
