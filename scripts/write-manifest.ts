// npm run write-manifest [-- --image-tag REF --image-digest sha256:...]: write dist/sf-release-manifest.json.
import { parseArgs } from 'node:util'
import { flagsOrConfigError, runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'
import { writeReleaseManifest } from '../lib/release/write-manifest.ts'

await runEntry(async () => {
  const { values } = flagsOrConfigError(() => parseArgs({ options: { 'image-tag': { type: 'string' }, 'image-digest': { type: 'string' }, verbose: { type: 'boolean' } } }))
  const manifest = await writeReleaseManifest({ root: repoRoot, image: { tag: values['image-tag'] ?? null, digest: values['image-digest'] ?? null } })
  process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`)
})
