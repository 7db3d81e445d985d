// Pruning staged builds from the deployment's side: what containers are pinned to and what SF_HOME
// records for rollback are kept, whatever lib/release/prune-builds.ts's other rules say.
import fs from 'node:fs/promises'
import path from 'node:path'
import { containerLabelValuesArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { pruneStagedBuilds, type PrunePins, type PrunePlan } from '../release/prune-builds.ts'
import type { VegaContext } from './context.ts'
import { readReleases } from './releases.ts'

/** Builds kept after a deploy, beyond those in use: enough to look back, small enough for the disk. */
export const keepAfterDeploy = 5

/** Gather the pins, plan and (unless a dry run) remove: npm run prune-builds. */
export async function pruneBuilds(o: { root: string; env: Env; sfHome: string; keep: number; dryRun?: boolean }): Promise<PrunePlan> {
  return pruneStagedBuilds({ root: o.root, keep: o.keep, dryRun: o.dryRun, pins: await gatherPins(o.env, o.sfHome) })
}

/** Remove old staged builds nothing needs, as one phase; up and upgrade run it after success. */
export async function pruneAfterDeploy(ctx: VegaContext): Promise<void> {
  const done = ctx.progress.phase('prune old builds')
  const plan = await pruneBuilds({ root: ctx.root, env: ctx.env, sfHome: ctx.config.SF_HOME, keep: keepAfterDeploy })
  const unsure = plan.keep.find((k) => k.why.some((w) => w.startsWith('containers could not be listed')))
  done(unsure ? `kept all ${plan.keep.length}: ${unsure.why.find((w) => w.startsWith('containers'))}` : `removed ${plan.remove.length}, kept ${plan.keep.length}`)
}

async function gatherPins(env: Env, sfHome: string): Promise<PrunePins> {
  return { inUseByContainers: await buildsOfContainers(env), recordedReleases: await recordedReleases(sfHome) }
}

/** Build ids named by containers' sf.build-id labels; unknown (and why) when docker cannot list them. */
async function buildsOfContainers(env: Env): Promise<PrunePins['inUseByContainers']> {
  const listed = await docker(containerLabelValuesArgs('sf.build-id'), { env, allowFailure: true, timeoutMs: 10_000 }).catch((error: Error) => error)
  if (listed instanceof Error) return { unknown: listed.message }
  if (listed.code !== 0) return { unknown: listed.stderr.trim().split('\n')[0] || `docker container ls exited with ${listed.code}` }
  return new Set(listed.stdout.split('\n').filter(Boolean))
}

/** Current and previous releases of every vega container SF_HOME knows. */
async function recordedReleases(sfHome: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const name of await fs.readdir(path.join(sfHome, 'vega')).catch(() => [])) {
    const r = await readReleases(sfHome, name)
    for (const release of [r.current, r.previous]) if (release) ids.add(release.buildId)
  }
  return ids
}
