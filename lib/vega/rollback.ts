// docker:vega:rollback: put the previous release back as prod, by hand, the same way an upgrade
// replaces prod (drain, keep the current one aside, probe, restore it on failure).
import { existsSync } from 'node:fs'
import path from 'node:path'
import { imageExistsArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import { ConfigError } from '../errors.ts'
import { UpgradeError } from '../front/errors.ts'
import { acquireLock, lockFile } from '../front/lock.ts'
import { frontSwap } from '../front/swap.ts'
import { distPaths } from '../paths.ts'
import { urlOf } from '../probe.ts'
import { vegaContainer } from './container.ts'
import { vegaInputs, type UpgradeContext } from './context.ts'
import { convergeVega } from './converge.ts'
import { recordDeployment } from './deployment.ts'
import { frontSite, vegaLockBusy } from './front-site.ts'
import { abandonedEntry, appendHistory, entry, side, type HistoryEntry } from './history.ts'
import { preflightVega } from './preflight.ts'
import { readReleases, recordAdopted, recordServing, releasesFile, servingRelease, type Release } from './releases.ts'
import { slotServerSpec } from './slot-server.ts'
import { swapProd } from './swap.ts'

export async function rollbackVega(ctx: UpgradeContext, o: { lockWaitMs: number; probeDeadlineMs: number; command: string; container?: string }): Promise<HistoryEntry> {
  const { config, env, progress } = ctx
  const name = config.SF_VEGA_NAME
  let previous = await restorablePrevious(ctx)
  const dist = distPaths(ctx.root)

  let done = progress.phase('preflight')
  const preflight = await preflightVega(config, env)
  done()
  const prodUrl = urlOf(preflight.probeHost, config.SF_VEGA_PORT)
  done = progress.phase('lock')
  const lock = await acquireLock(lockFile(config.SF_HOME, name), { command: o.command, container: o.container, waitMs: o.lockWaitMs, busy: vegaLockBusy })
  done(lock.recovered ? `recovered the lock left by dead pid ${lock.recovered.pid}` : undefined)
  const started = new Date().toISOString()
  let from = await servingRelease(name, env)
  progress.watch(() => lock.record({ action: 'rollback', from: side(from), to: side(previous), phases: { ...progress.phases }, current: progress.current }))
  try {
    if (lock.recovered) await appendHistory(config.SF_HOME, abandonedEntry(name, lock.recovered))
    done = progress.phase('converge')
    const front = config.SF_VEGA_FRONT === 'haproxy'
    const notes = await convergeVega(ctx, prodUrl, o.probeDeadlineMs)
    done(notes.length ? notes.join('; ') : 'nothing left over')
    // A killed upgrade's server that converge kept serves now: roll back from it, to the release it replaced.
    const serving = await servingRelease(name, env)
    if (await recordAdopted(config.SF_HOME, name, serving)) {
      from = serving
      previous = await restorablePrevious(ctx)
    }
    const inputs = { ...vegaInputs(ctx, preflight, path.join(dist.releases, `${previous.buildId}.json`)), image: previous.imageId }
    const expected = { commit: previous.commit, buildId: previous.buildId }
    const swap = front
      ? await frontSwap(frontSite(ctx), { serverSpec: (slot, port) => slotServerSpec(inputs, slot, port), expected, probeHost: preflight.probeHost, probeDeadlineMs: o.probeDeadlineMs, settleMs: 0, canary: [], stepMs: 0, rules: null })
      : await swapProd({ env, progress, spec: vegaContainer(inputs), expected, probeUrl: prodUrl, stopTimeout: config.SF_VEGA_DRAIN_STOP_TIME, probeDeadlineMs: o.probeDeadlineMs })
    if (!swap.swapped) throw new UpgradeError(`the previous release failed its probes (${swap.error}); ${swap.rollback}`, 'rolled-back', swap.rollback)
    await recordServing(config.SF_HOME, name, { ...previous, at: started })
    await recordDeployment(config)
    const result = { ...entry(ctx, 'rolled-back', from, previous, `rolled back by hand to build ${previous.buildId}`, null, 'rollback'), at: started }
    await appendHistory(config.SF_HOME, result)
    return result
  } catch (error) {
    await appendHistory(config.SF_HOME, { ...entry(ctx, 'rollback-failed', from, previous, null, (error as Error).message, 'rollback'), at: started })
    throw error
  } finally {
    await lock.release()
  }
}

/** The previous release recorded for prod, when its build, manifest and image are all still here. */
async function restorablePrevious(ctx: UpgradeContext): Promise<Release> {
  const { config, env } = ctx
  const name = config.SF_VEGA_NAME
  const previous = (await readReleases(config.SF_HOME, name)).previous
  if (!previous) throw new ConfigError(`no previous release of ${name} is recorded in ${releasesFile(config.SF_HOME, name)}: nothing to roll back to`)
  const dist = distPaths(ctx.root)
  const missing = [path.join(dist.webBuilds, previous.buildId), path.join(dist.releases, `${previous.buildId}.json`)].filter((p) => !existsSync(p))
  if ((await docker(imageExistsArgs(previous.imageId), { env, allowFailure: true })).code !== 0) missing.push(`image ${previous.imageId}`)
  if (missing.length) throw new ConfigError(`the previous release ${previous.buildId} cannot be restored, these are gone: ${missing.join(', ')}`)
  return previous
}
