// The release prod serves and the one before it, kept for rollback: SF_HOME/vega/<name>/releases.json.
import fs from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'

export const releaseSchema = z.object({
  buildId: z.string(),
  commit: z.string(),
  dirty: z.boolean(),
  /** The runtime image by id, so a rebuilt tag cannot change it. */
  imageId: z.string(),
  at: z.string(),
})
export type Release = z.infer<typeof releaseSchema>

const recordSchema = z.object({ current: releaseSchema.nullable(), previous: releaseSchema.nullable() })
export type Releases = z.infer<typeof recordSchema>

export function releasesFile(sfHome: string, name: string): string {
  return path.join(sfHome, 'vega', name, 'releases.json')
}

export async function readReleases(sfHome: string, name: string): Promise<Releases> {
  try {
    return recordSchema.parse(JSON.parse(await fs.readFile(releasesFile(sfHome, name), 'utf8')))
  } catch {
    return { current: null, previous: null }
  }
}

/** `release` is now serving; what served before becomes the previous release. */
export async function recordServing(sfHome: string, name: string, release: Release): Promise<Releases> {
  const before = await readReleases(sfHome, name)
  const next: Releases =
    before.current?.buildId === release.buildId && before.current.imageId === release.imageId
      ? { current: release, previous: before.previous }
      : { current: release, previous: before.current }
  const file = releasesFile(sfHome, name)
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  await fs.writeFile(`${file}.tmp`, JSON.stringify(next, null, 2) + '\n')
  await fs.rename(`${file}.tmp`, file)
  return next
}

/**
 * What serves after a converge, recorded when releases.json says another build serves: converge kept
 * a killed run's new server, and that build, not the one before it, is what a rollback goes back to.
 * True when it recorded.
 */
export async function recordAdopted(sfHome: string, name: string, serving: Release | null): Promise<boolean> {
  if (!serving || serving.buildId === '?' || (await readReleases(sfHome, name)).current?.buildId === serving.buildId) return false
  await recordServing(sfHome, name, serving)
  return true
}

/** What prod serves now, read from the container itself. */
export async function servingRelease(name: string, env: Env): Promise<Release | null> {
  const prod = await inspectContainer(name, env)
  if (!prod) return null
  return { buildId: prod.labels['sf.build-id'] ?? '?', commit: prod.labels['sf.commit'] ?? '?', dirty: false, imageId: prod.imageId, at: prod.startedAt }
}
