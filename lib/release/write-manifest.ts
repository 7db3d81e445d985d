// Writing dist/sf-release-manifest.json: the link between the staged web host, the git revision it
// was built from and, once built, the image that carries it.
import fs from 'node:fs/promises'
import path from 'node:path'
import { existsSync } from 'node:fs'
import { pinnedLoader } from './loader-bundle.ts'
import { BuildError, ConfigError } from '../errors.ts'
import { isImageReference } from '../image-reference.ts'
import { releaseManifestSchema, type ReleaseManifest } from './manifest.ts'
import { distPaths } from '../paths.ts'
import { currentWebHost } from './web-host.ts'

export interface ImageRef {
  tag: string | null
  digest: string | null
}

/** Refuse a bad image reference or digest, naming the flag that gives it, before anything is read or written. */
export function checkImageRef(image: ImageRef): void {
  if (image.tag !== null && !isImageReference(image.tag)) {
    throw new ConfigError(`--image-tag ${JSON.stringify(image.tag)}: must be an image reference such as registry/sf:1.2.3 (the rule SF_IMAGE_TAG follows too)`)
  }
  if (image.digest !== null && !/^sha256:[0-9a-f]{64}$/.test(image.digest)) {
    throw new ConfigError(`--image-digest ${JSON.stringify(image.digest)}: must be sha256: followed by 64 hex digits (docker inspect --format '{{index .RepoDigests 0}}')`)
  }
}

export async function writeReleaseManifest(options: { root: string; image: ImageRef }): Promise<ReleaseManifest> {
  checkImageRef(options.image)
  const dist = distPaths(options.root)
  const host = await currentWebHost(dist.webStandalone, { verifyDigest: true })
  if (!existsSync(dist.loader)) throw new BuildError(`no ${dist.loader}: run npm run build:core`)
  const loader = await pinnedLoader(options.root)
  const pkg = JSON.parse(await fs.readFile(path.join(options.root, 'package.json'), 'utf8')) as { name: string; version: string }
  const manifest = releaseManifestSchema.parse({
    schemaVersion: 1,
    name: pkg.name,
    version: pkg.version,
    git: host.git,
    builtAt: host.builtAt,
    node: process.version,
    loader,
    webHost: { buildId: host.buildId, digest: host.digest },
    image: options.image,
  })
  await fs.mkdir(dist.releases, { recursive: true })
  for (const file of [path.join(dist.releases, `${manifest.webHost.buildId}.json`), dist.manifest]) {
    const temp = `${file}.tmp-${process.pid}`
    await fs.writeFile(temp, JSON.stringify(manifest, null, 2) + '\n')
    await fs.rename(temp, file)
  }
  return manifest
}
