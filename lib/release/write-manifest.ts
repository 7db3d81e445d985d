// Writing dist/sf-release-manifest.json: the link between the staged web host, the git revision it
// was built from and, once built, the image that carries it.
import fs from 'node:fs/promises'
import path from 'node:path'
import { existsSync } from 'node:fs'
import { pinnedLoader } from './loader-bundle.ts'
import { BuildError } from '../errors.ts'
import { releaseManifestSchema, type ReleaseManifest } from './manifest.ts'
import { distPaths } from '../paths.ts'
import { currentWebHost } from './web-host.ts'

export interface ImageRef {
  tag: string | null
  digest: string | null
}

export async function writeReleaseManifest(options: { root: string; image: ImageRef }): Promise<ReleaseManifest> {
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
