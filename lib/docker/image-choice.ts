// Choosing an image the toolkit builds on or runs: the one configured; else the official image, when
// it is here or can be pulled; else a local one made from this host, said out loud. The Node base
// (base-choice.ts) and the front proxy (front-image.ts) both choose this way.
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'
import { imageExistsArgs, pullArgs } from './args.ts'
import { docker } from './engine.ts'

export interface ImageChoice {
  image: string
  why: string
}

export interface ImageCandidates {
  /** The configured image, and the variable that configures it. */
  configured?: string
  variable: string
  official: string
  /** The local image's tag, and how it is made when missing. */
  localTag: () => Promise<string>
  buildLocal: (tag: string) => Promise<unknown>
  /** What the local image is, for the note: `base ..., built from this host's Node (npm run docker:base)`. */
  localIs: (tag: string) => string
  env: Env
  progress: Progress
}

export async function chooseImage(o: ImageCandidates): Promise<ImageChoice> {
  const { env, progress } = o
  if (o.configured) return { image: o.configured, why: o.variable }
  if (await imageExists(o.official, env)) return { image: o.official, why: 'present locally' }

  const done = progress.phase(`pull ${o.official}`)
  const pulled = await docker(pullArgs(o.official), { env, allowFailure: true, timeoutMs: 120_000 })
  if (pulled.code === 0) {
    done()
    return { image: o.official, why: 'pulled' }
  }
  const reason = (pulled.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `docker pull exited with ${pulled.code}`
  done(`cannot be pulled: ${reason}`)
  const local = await o.localTag()
  progress.note(`using the local ${o.localIs(local)}; set ${o.variable} to choose another`)
  if (!(await imageExists(local, env))) await o.buildLocal(local)
  return { image: local, why: `${o.official} cannot be pulled` }
}

export async function imageExists(image: string, env: Env): Promise<boolean> {
  return (await docker(imageExistsArgs(image), { env, allowFailure: true })).code === 0
}
