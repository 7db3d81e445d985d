// npm run publish-image [-- --tag <local image>]: push the production image to SF_REGISTRY and write
// its tag and digest into dist/sf-release-manifest.json. Prints {tag, digest, ref, imageId} as JSON.
import { parseArgs } from 'node:util'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { loadEnv, readConfig } from '../lib/env.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { publishImage } from '../lib/authority/publish.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() => parseArgs({ options: { tag: { type: 'string' }, verbose: { type: 'boolean' } } }))
  const config = readConfig(loadEnv(process.env, repoRoot), { checkout: repoRoot })
  const published = await publishImage({ root: repoRoot, env: process.env, config, progress: createProgress(), localTag: values.tag })
  process.stdout.write(`${JSON.stringify(published, null, 2)}\n`)
})
