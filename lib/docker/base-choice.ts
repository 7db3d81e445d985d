// Which base image the Dockerfiles build on: SF_BASE_IMAGE when set; else the official Node LTS slim
// image; else, when that cannot be pulled, the local base from `npm run docker:base`, said out loud.
import { buildBaseImage, defaultBaseTag } from './base-image.ts'
import { imageExistsArgs } from './args.ts'
import { docker } from './engine.ts'
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'

/** The default BASE_IMAGE of docker/Dockerfile.sf-server and docker/Dockerfile.source-server. */
export const officialBaseImage = 'node:24-bookworm-slim'

export interface BaseChoice {
  image: string
  why: string
}

export async function chooseBaseImage(options: { configured?: string; env: Env; progress: Progress }): Promise<BaseChoice> {
  const { configured, env, progress } = options
  if (configured) return { image: configured, why: 'SF_BASE_IMAGE' }
  if (await imageExists(officialBaseImage, env)) return { image: officialBaseImage, why: 'present locally' }

  const done = progress.phase(`pull ${officialBaseImage}`)
  const pulled = await docker(['pull', '--quiet', officialBaseImage], { env, allowFailure: true, timeoutMs: 120_000 })
  if (pulled.code === 0) {
    done()
    return { image: officialBaseImage, why: 'pulled' }
  }
  const reason = (pulled.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `docker pull exited with ${pulled.code}`
  const local = defaultBaseTag()
  done(`cannot be pulled: ${reason}`)
  progress.note(`using the local base ${local}, built from this host's Node (npm run docker:base); set SF_BASE_IMAGE to choose another`)
  if (!(await imageExists(local, env))) await buildBaseImage({ tag: local, env, progress })
  return { image: local, why: `${officialBaseImage} cannot be pulled` }
}

export async function imageExists(image: string, env: Env): Promise<boolean> {
  return (await docker(imageExistsArgs(image), { env, allowFailure: true })).code === 0
}
