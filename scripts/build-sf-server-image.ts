// npm run docker:build [-- --tag <name:tag>]: build the immutable production image from dist/.
// Prints {tag, imageId, sizeBytes, base} as JSON on stdout.
import { parseArgs } from 'node:util'
import { runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { buildSfServerImage } from '../lib/docker/sf-server-image.ts'

await runEntry(async () => {
  const { values } = parseOptions(process.argv.slice(2))
  if (values.tag !== undefined && !/^[\w.\-/:@]+$/.test(values.tag)) {
    throw new ConfigError(`--tag ${JSON.stringify(values.tag)} is not an image reference: give one like sf-server:0.1.0`)
  }
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const image = await buildSfServerImage({ root: repoRoot, tag: values.tag, env: process.env, config, progress: createProgress() })
  const { tag, imageId, sizeBytes, base } = image
  process.stdout.write(`${JSON.stringify({ tag, imageId, sizeBytes, base }, null, 2)}\n`)
})

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: { tag: { type: 'string' }, verbose: { type: 'boolean' } } })
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}: usage: npm run docker:build [-- --tag <name:tag>] [--verbose]`)
  }
}
