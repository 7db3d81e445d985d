// npm run publish-image: push the production image `npm run docker:build` made to SF_REGISTRY, read
// the digest the registry gave it, and write that tag and digest into dist/sf-release-manifest.json.
import path from 'node:path'
import { imageInspectArgs, pushArgs, tagArgs } from '../docker/args.ts'
import { docker, firstLine } from '../docker/engine.ts'
import { defaultSfServerTag } from '../docker/sf-server-image.ts'
import type { Env, SfConfig } from '../env.ts'
import { BuildError, ConfigError, InterruptedError } from '../errors.ts'
import { distPaths } from '../paths.ts'
import type { Progress } from '../progress.ts'
import { readManifest } from '../release/manifest.ts'
import { writeReleaseManifest } from '../release/write-manifest.ts'
import { credentialsProblem, withRegistryAccess } from './credentials.ts'
import { PublishError } from './errors.ts'
import { digestIn, digestRef, imageRepository } from './image-ref.ts'

export interface PublishOptions {
  root: string
  env: Env
  config: Pick<SfConfig, 'SF_REGISTRY' | 'SF_REGISTRY_USER' | 'SF_REGISTRY_PASSWORD'>
  progress: Progress
  /** The local image to push; default: the one docker:build names for dist/'s manifest. */
  localTag?: string
}

export interface Published {
  /** The tag pushed, `<SF_REGISTRY>/sf-server:<version>-<commit>`: for people; deployments use `ref`. */
  tag: string
  digest: string
  /** `<SF_REGISTRY>/sf-server@sha256:…`, what deployments name. */
  ref: string
  imageId: string
}

export async function publishImage(options: PublishOptions): Promise<Published> {
  const { root, env, config, progress } = options
  const registry = config.SF_REGISTRY
  if (!registry) throw new ConfigError('SF_REGISTRY is not set: set it to the registry to push to, such as forgejo.example:3000/sf')
  const access = { registry, user: config.SF_REGISTRY_USER, password: config.SF_REGISTRY_PASSWORD }
  const problem = credentialsProblem(access)
  if (problem) throw new ConfigError(problem)

  let done = progress.phase('check the image')
  const manifestFile = distPaths(root).manifest
  const manifest = readManifest(manifestFile)
  if (!manifest) throw new BuildError(`${path.relative(root, manifestFile)} is missing: run npm run write-manifest, then npm run docker:build`)
  const local = options.localTag ?? defaultSfServerTag(manifest)
  const inspected = await docker(imageInspectArgs(local, '{{.Id}} {{index .Config.Labels "sf.build-id"}}'), { env, allowFailure: true })
  if (inspected.code !== 0) throw new BuildError(`there is no image ${local} (${firstLine(inspected.stderr)}): run npm run docker:build`)
  const [imageId = '', buildId = ''] = inspected.stdout.trim().split(' ')
  if (buildId !== manifest.webHost.buildId) {
    throw new BuildError(`${local} holds web host build ${buildId || '(none)'}, but the manifest describes ${manifest.webHost.buildId}: run npm run docker:build`)
  }
  const repository = imageRepository(registry)
  const tag = `${repository}:${local.slice(local.lastIndexOf(':') + 1)}`
  done(`${local} is ${imageId.slice(0, 19)}, build ${buildId}`)

  done = progress.phase(`docker push ${tag}`)
  await docker(tagArgs(local, tag), { env })
  await withRegistryAccess(access, env, (authed, signal) => docker(pushArgs(tag), { env: authed, signal })).catch((error: unknown) => {
    if (error instanceof InterruptedError) throw error
    throw new PublishError(
      `docker push ${tag} failed: ${(error as Error).message}\ncheck that SF_REGISTRY answers (docker pull from it) and that SF_REGISTRY_USER and SF_REGISTRY_PASSWORD may push`,
    )
  })
  const repoDigests = await docker(imageInspectArgs(tag, '{{json .RepoDigests}}'), { env })
  const digest = digestIn(JSON.parse(repoDigests.stdout) as string[], repository)
  if (!digest) throw new BuildError(`docker push ${tag} succeeded but the image names no digest in ${repository}: push again`)
  done(digest)

  done = progress.phase('write the manifest')
  await writeReleaseManifest({ root, image: { tag, digest } })
  done(`${path.relative(root, manifestFile)}: image ${digestRef(repository, digest)}`)
  return { tag, digest, ref: digestRef(repository, digest), imageId }
}
