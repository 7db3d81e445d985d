// Which base image the Dockerfiles build on: SF_BASE_IMAGE when set; else the official Node LTS slim
// image; else, when that cannot be pulled, the local base from `npm run docker:base`, said out loud.
import { buildBaseImage, defaultBaseTag } from './base-image.ts'
import { chooseImage, type ImageChoice } from './image-choice.ts'
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'

/** The default BASE_IMAGE of docker/Dockerfile.sf-server and docker/Dockerfile.source-server. */
export const officialBaseImage = 'node:24-bookworm-slim'

export type BaseChoice = ImageChoice

export function chooseBaseImage(options: { configured?: string; env: Env; progress: Progress }): Promise<BaseChoice> {
  const { env, progress } = options
  return chooseImage({
    configured: options.configured,
    variable: 'SF_BASE_IMAGE',
    official: officialBaseImage,
    localTag: async () => defaultBaseTag(),
    buildLocal: (tag) => buildBaseImage({ tag, env, progress }),
    localIs: (tag) => `base ${tag}, built from this host's Node (npm run docker:base)`,
    env,
    progress,
  })
}
