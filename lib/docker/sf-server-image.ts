// npm run docker:build: the immutable production image. Its build context is assembled in a temp dir
// from dist/ alone (the loader, the release manifest and the one staged web host build the manifest
// names), so no source, no other build and nothing of the checkout can end up in the image.
import fs from 'node:fs/promises'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chooseBaseImage } from './base-choice.ts'
import { imageInspectArgs, type BuildSpec } from './args.ts'
import { buildImage, docker, engineAnswers } from './engine.ts'
import { loadEnv, readConfig, type Env, type SfConfig } from '../env.ts'
import { BuildError, DockerError } from '../errors.ts'
import { readManifest, type ReleaseManifest } from '../release/manifest.ts'
import { distPaths, repoRoot } from '../paths.ts'
import type { Progress } from '../progress.ts'
import { currentWebHost, type StagedBuild } from '../release/web-host.ts'

export const sfServerDockerfile = path.join(repoRoot, 'docker', 'Dockerfile.sf-server')

export interface SfServerImageOptions {
  /** The checkout whose dist/ goes into the image. */
  root: string
  /** Default: defaultSfServerTag(manifest). */
  tag?: string
  env: Env
  /** Default: read from env over the checkout's .env. */
  config?: Pick<SfConfig, 'SF_BASE_IMAGE'> & Partial<Pick<SfConfig, 'SF_IMAGE_SOURCE'>>
  progress: Progress
  /** Added to the image's labels (tests mark their images with a run id). */
  labels?: Record<string, string>
}

export interface SfServerImage {
  tag: string
  imageId: string
  sizeBytes: number
  /** The base image it was built on. */
  base: string
}

export async function buildSfServerImage(options: SfServerImageOptions): Promise<SfServerImage> {
  const { root, env, progress } = options
  const config = options.config ?? readConfig(loadEnv(env, root), { checkout: root })

  let done = progress.phase('check dist/')
  const { manifest, host } = await checkDist(root)
  const tag = options.tag ?? defaultSfServerTag(manifest)
  done(`web host ${host.buildId}`)

  done = progress.phase('check the Docker Engine')
  const engine = await engineAnswers(env)
  if (!engine.ok) throw new DockerError(engine.reason)
  done(`engine ${engine.version}`)

  done = progress.phase('choose the base image')
  const base = await chooseBaseImage({ configured: config.SF_BASE_IMAGE, env, progress })
  done(`${base.image}: ${base.why}`)

  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-server-context-'))
  try {
    done = progress.phase('assemble the build context')
    await assembleContext(root, host, manifest.loader, context)
    done(`dist/ with the one staged build ${host.buildId}`)

    done = progress.phase(`docker build ${tag}`)
    const spec = sfServerBuildSpec({ context, tag, base: base.image, manifest, source: config.SF_IMAGE_SOURCE, labels: options.labels })
    await buildImage(spec, env, progress)
    const inspected = await docker(imageInspectArgs(tag, '{{.Id}} {{.Size}}'), { env })
    const [imageId = '', size = ''] = inspected.stdout.trim().split(' ')
    const sizeBytes = Number(size)
    done(`${imageId.slice(0, 19)}, ${(sizeBytes / 1e6).toFixed(1)} MB`)
    return { tag, imageId, sizeBytes, base: base.image }
  } finally {
    await fs.rm(context, { recursive: true, force: true })
  }
}

/** sf-server:<version>-<commit 12>, with -dirty when the tree had changes; a valid docker tag. */
export function defaultSfServerTag(manifest: ReleaseManifest): string {
  const version = manifest.version.replace(/[^\w.-]/g, '-')
  return `sf-server:${version}-${manifest.git.commit.slice(0, 12)}${manifest.git.dirty ? '-dirty' : ''}`
}

/** The build of docker/Dockerfile.sf-server: the OCI labels come from the manifest through build args. */
export function sfServerBuildSpec(options: {
  context: string
  tag: string
  base: string
  manifest: ReleaseManifest
  /** The source repository's URL (SF_IMAGE_SOURCE), when known. */
  source?: string
  labels?: Record<string, string>
}): BuildSpec {
  const { manifest } = options
  return {
    dockerfile: sfServerDockerfile,
    context: options.context,
    tag: options.tag,
    buildArgs: {
      BASE_IMAGE: options.base,
      SF_REVISION: manifest.git.commit,
      SF_VERSION: manifest.version,
      SF_CREATED: manifest.builtAt,
      SF_IMAGE_TAG: options.tag,
    },
    // A --label, not a Dockerfile LABEL: an unknown source is no label rather than an empty one.
    labels: {
      'sf.build-id': manifest.webHost.buildId,
      ...(options.source ? { 'org.opencontainers.image.source': options.source } : {}),
      ...options.labels,
    },
  }
}

/** The loader, and a manifest that describes the staged build exactly as it is on disk. */
async function checkDist(root: string): Promise<{ manifest: ReleaseManifest; host: StagedBuild }> {
  const dist = distPaths(root)
  for (const file of [dist.loader, path.join(dist.dist, 'package.json')]) {
    if (!existsSync(file)) throw new BuildError(`${path.relative(root, file)} is missing: run npm run build:core`)
  }
  const host = await currentWebHost(dist.webStandalone, { verifyDigest: true })
  const manifest = readManifest(dist.manifest)
  if (!manifest) throw new BuildError(`${path.relative(root, dist.manifest)} is missing: run npm run write-manifest`)
  if (manifest.webHost.buildId !== host.buildId || manifest.webHost.digest !== host.digest) {
    throw new BuildError(
      `${path.relative(root, dist.manifest)} describes web host build ${manifest.webHost.buildId} (${manifest.webHost.digest}), but dist/web/standalone is build ${host.buildId} (${host.digest}): run npm run write-manifest`,
    )
  }
  return { manifest, host }
}

/** dist/ as the image holds it: the loader, the manifest, one staged build and the link to it. */
async function assembleContext(root: string, host: StagedBuild, loader: string, context: string): Promise<void> {
  const from = distPaths(root)
  const to = distPaths(context)
  await fs.mkdir(to.webBuilds, { recursive: true })
  for (const file of [from.loader, path.join(from.dist, loader), path.join(from.dist, 'package.json'), from.manifest]) {
    await fs.copyFile(file, path.join(to.dist, path.basename(file)))
  }
  await fs.cp(host.dir, path.join(to.webBuilds, host.buildId), { recursive: true, verbatimSymlinks: true })
  const serverDir = path.relative(host.dir, path.dirname(host.serverJs))
  await fs.symlink(path.join('builds', host.buildId, serverDir), to.webStandalone)
  // The copy must be the build the manifest names, byte for byte, and the link must lead to it.
  await currentWebHost(to.webStandalone, { verifyDigest: true }).catch((error: unknown) => {
    throw new BuildError(
      `the build context's copy of ${host.dir} is not the staged build (${(error as Error).message}): check the free space in ${os.tmpdir()} (df -h) and run npm run docker:build again`,
    )
  })
}
