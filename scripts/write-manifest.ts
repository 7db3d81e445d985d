// npm run write-manifest [-- --image-tag REF --image-digest sha256:...]: write dist/sf-release-manifest.json.
import { parseArgs } from 'node:util'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { writeReleaseManifest } from '../lib/release/write-manifest.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() => parseArgs({ options: { 'image-tag': { type: 'string' }, 'image-digest': { type: 'string' }, verbose: { type: 'boolean' } } }))
  const digest = values['image-digest'] ?? null
  if (digest !== null && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new ConfigError(`--image-digest ${JSON.stringify(digest)}: must be sha256: followed by 64 hex digits (docker inspect --format '{{index .RepoDigests 0}}')`)
  }
  const manifest = await writeReleaseManifest({ root: repoRoot, image: { tag: values['image-tag'] ?? null, digest } })
  process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`)
})
