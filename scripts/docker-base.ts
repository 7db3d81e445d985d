// npm run docker:base [-- --tag <name:tag>]: build a base image from this host's node, git and docker
// CLI, for hosts that cannot pull the official node image. Prints the tag on stdout.
import { parseArgs } from 'node:util'
import { buildBaseImage } from '../lib/docker/base-image.ts'
import { runEntry } from '../lib/cli.ts'
import { ConfigError } from '../lib/errors.ts'
import { createProgress } from '../lib/progress.ts'

await runEntry(async () => {
  const { values } = parseOptions(process.argv.slice(2))
  if (values.tag !== undefined && !/^\S+$/.test(values.tag)) {
    throw new ConfigError(`--tag ${JSON.stringify(values.tag)} is not an image name: give one like sf-node-base:20-local`)
  }
  const image = await buildBaseImage({ tag: values.tag, progress: createProgress(), env: process.env })
  process.stdout.write(`${image.tag}\n`)
})

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: { tag: { type: 'string' }, verbose: { type: 'boolean' } } })
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}: usage: npm run docker:base [-- --tag <name:tag>] [--verbose]`)
  }
}
