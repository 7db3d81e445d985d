// The release manifest: one schema, used by the writer, the server and the probes.
import fs from 'node:fs'
import { z } from 'zod'
import { BuildError } from '../errors.ts'
import { isImageReference } from '../image-reference.ts'

const sha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: followed by 64 hex digits')

export const releaseManifestSchema = z.object({
  schemaVersion: z.literal(1).describe('Bumped when a field changes meaning.'),
  name: z.string().min(1).describe('package.json name.'),
  version: z.string().min(1).describe('package.json version.'),
  git: z
    .object({
      commit: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-digit commit id'),
      dirty: z.boolean().describe('True when the tree had changes not in the commit at build time.'),
    })
    .describe('The source revision the web host was built from.'),
  builtAt: z.iso.datetime().describe('When the web host was built (UTC).'),
  node: z.string().regex(/^v\d+\.\d+\.\d+/).describe('The Node.js version that built it.'),
  loader: z
    .string()
    .regex(/^loader-[0-9a-f]{12}\.js$/, 'must be loader-<12 hex digits>.js')
    .describe('The loader of this release in dist/, named for its content, never rewritten: containers run this file.'),
  webHost: z
    .object({
      buildId: z.string().min(1).describe('Next build id, also the staged folder name.'),
      digest: sha256.describe('Content digest of the staged folder (lib/release/content-digest.ts).'),
    })
    .describe('The staged web host under dist/web/builds/<buildId>.'),
  image: z
    .object({
      tag: z.string().refine(isImageReference, 'must be an image reference such as registry/sf:1.2.3').nullable().describe('Image reference, null until an image is built.'),
      digest: sha256.nullable().describe('Image digest, null until the image is pushed.'),
    })
    .describe('The OCI image carrying this build.'),
})

export type ReleaseManifest = z.infer<typeof releaseManifestSchema>

/** Parse manifest JSON text, throwing a BuildError that names the file and every bad field. */
export function parseManifest(text: string, source: string): ReleaseManifest {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new BuildError(`${source} is not JSON (${(error as Error).message}): run npm run write-manifest`)
  }
  const result = releaseManifestSchema.safeParse(json)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new BuildError(`${source} is not a valid release manifest:\n  ${problems.join('\n  ')}\nrun npm run write-manifest`)
  }
  return result.data
}

/** The manifest at `file`, or null when there is none. */
export function readManifest(file: string): ReleaseManifest | null {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'EISDIR') throw new BuildError(`${file} is a directory, not a release manifest: move it away, then run npm run write-manifest`)
    throw new BuildError(`${file} cannot be read (${code ?? (error as Error).message}): make it readable, or run npm run write-manifest`)
  }
  return parseManifest(text, file)
}

/** The staged build a process serves: its id and, when known, its content digest. */
export interface ServedBuild {
  buildId: string
  digest?: string
}

/** Why `manifest` (read from `source`) does not describe the build served, or null when it does. */
export function manifestMismatch(manifest: ReleaseManifest, served: ServedBuild, source: string): string | null {
  if (manifest.webHost.buildId !== served.buildId) {
    return `${source} describes web host build ${manifest.webHost.buildId}, but the build served is ${served.buildId}`
  }
  if (served.digest !== undefined && manifest.webHost.digest !== served.digest) {
    return `${source} gives build ${served.buildId} the content digest ${manifest.webHost.digest}, but the staged build records ${served.digest}`
  }
  return null
}
