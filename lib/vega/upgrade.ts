// docker:vega:upgrade: version-verified blue/green for the vega container. Build a new immutable
// release, prove it in a candidate on the next port, then drain and replace prod, probe it, and roll
// back to the old container if it fails. One run at a time; every attempt goes into the history.
import os from 'node:os'
import path from 'node:path'
import { buildCore } from '../core-build.ts'
import { docker, imageInspectArgs, inspectContainer, removeContainerArgs, runDetachedArgs, type ContainerSpec } from '../docker.ts'
import { SfError } from '../errors.ts'
import { writeReleaseManifest } from '../release.ts'
import { vegaContainer, type VegaInputs } from '../vega.ts'
import { preflightVega, urlOf, type Preflight } from '../vega-preflight.ts'

export { urlOf }
import { buildRuntimeImage, pruneAfterDeploy, vegaInputs, type VegaContext } from '../vega-up.ts'
import { buildWebHost, rememberCurrentBuild } from '../web-host.ts'
import { appendHistory, type HistoryEntry } from './history.ts'
import { acquireLock, lockFile } from './lock.ts'
import { formatPlan, upgradePlan } from './plan.ts'
import { probeServer, type Expected } from './probes.ts'
import { candidateName, converge, RollbackError, showLogs, swapProd } from './prod.ts'
import { recordServing, type Release } from './releases.ts'
import type { Report } from './report.ts'

/** An upgrade that did not happen; `outcome` says how it ended, for the history and the exit. */
export class UpgradeError extends SfError {
  override name = 'UpgradeError'
  constructor(
    message: string,
    readonly outcome: 'candidate-failed' | 'rolled-back',
    readonly rollback: string | null = null,
  ) {
    super(message)
  }
}

export interface UpgradeOptions {
  dryRun: boolean
  lockWaitMs: number
  probeDeadlineMs: number
  /** How the run was started, for the lock and the history. */
  command: string
}

export interface UpgradeContext extends Omit<VegaContext, 'progress'> {
  progress: Report
}

/** The candidate: prod's configuration on the next port, under its own name, never restarted. */
export function candidateSpec(prod: VegaInputs): ContainerSpec {
  return { ...vegaContainer({ ...prod, name: candidateName(prod.name), port: prod.port + 1 }), restart: 'no' }
}

/** The history entry of the attempt, or null for a dry run. */
export async function upgradeVega(ctx: UpgradeContext, o: UpgradeOptions): Promise<HistoryEntry | null> {
  const { config, env, progress } = ctx
  const name = config.SF_VEGA_NAME
  let done = progress.phase('preflight')
  const preflight = await preflightVega(config, env)
  // The candidate's port must be free too, or held by a leftover candidate (converge removes it).
  await preflightVega(config, env, config.SF_VEGA_PORT + 1, candidateName(name))
  done()
  const prodUrl = urlOf(preflight.probeHost, config.SF_VEGA_PORT)
  const candidateUrl = urlOf(preflight.probeHost, config.SF_VEGA_PORT + 1)

  if (o.dryRun) {
    printPlan(ctx, preflight, prodUrl, candidateUrl)
    return null
  }

  done = progress.phase('lock')
  const lock = await acquireLock(lockFile(config.SF_HOME, name), {
    command: o.command,
    waitMs: o.lockWaitMs,
    onWait: (h) => progress.note(`waiting for the upgrade of pid ${h.pid} (${h.user}@${h.host}, since ${h.since})`),
  })
  done(lock.recovered ? `recovered the lock left by dead pid ${lock.recovered.pid} (since ${lock.recovered.since})` : undefined)
  const started = new Date().toISOString()
  let from: Release | null = null
  let to: Release | null = null
  let restoreCheckout = async () => {}
  try {
    if (lock.recovered) {
      await appendHistory(config.SF_HOME, { ...entry(ctx, 'abandoned', null, null, null, `pid ${lock.recovered.pid} died holding the lock`), at: lock.recovered.since, by: `${lock.recovered.user}@${lock.recovered.host} (pid ${lock.recovered.pid})` })
    }
    done = progress.phase('converge')
    const notes = await converge(name, env, progress, prodUrl, o.probeDeadlineMs)
    done(notes.length ? notes.join('; ') : 'nothing left over')

    from = await servingRelease(name, env)

    const putBack = await rememberCurrentBuild(ctx.root)
    restoreCheckout = async () => {
      await putBack()
      progress.note('dist/web/standalone and dist/sf-release-manifest.json point at the build they named before this run')
    }
    to = await buildRelease(ctx, started)
    const inputs: VegaInputs = { ...vegaInputs(ctx, preflight), image: to.imageId }
    const expected = { commit: to.commit, buildId: to.buildId }
    const candidate = candidateSpec(inputs)
    await proveCandidate(ctx, candidate, expected, candidateUrl, o.probeDeadlineMs)

    const swap = await swapProd({ env, progress, spec: vegaContainer(inputs), expected, probeUrl: prodUrl, stopTimeout: config.SF_VEGA_DRAIN_STOP_TIME, probeDeadlineMs: o.probeDeadlineMs })
    done = progress.phase(`remove ${candidate.name}`)
    await docker(removeContainerArgs(candidate.name, { force: true }), { env, allowFailure: true })
    done()
    if (!swap.swapped) throw new UpgradeError(`the new ${name} failed its probes (${swap.error}); rolled back: ${swap.rollback}`, 'rolled-back', swap.rollback)
    await recordServing(config.SF_HOME, name, to)
    await pruneAfterDeploy(ctx)
    const result = { ...entry(ctx, 'upgraded', from, to, null, null), at: started }
    await appendHistory(config.SF_HOME, result)
    return result
  } catch (error) {
    await restoreCheckout()
    await docker(removeContainerArgs(candidateName(name), { force: true }), { env, allowFailure: true })
    const outcome = error instanceof UpgradeError ? error.outcome : error instanceof RollbackError ? 'rollback-failed' : 'failed'
    const rollback = error instanceof UpgradeError ? error.rollback : null
    await appendHistory(config.SF_HOME, { ...entry(ctx, outcome, from, to, rollback, (error as Error).message), at: started })
    throw error
  } finally {
    await lock.release()
  }
}

/** The new release: the loader, the web host in its own build folder, the manifest, the runtime image. */
async function buildRelease(ctx: UpgradeContext, at: string): Promise<Release> {
  const { config, env, progress } = ctx
  let done = progress.phase('bundle dist/loader.js')
  await buildCore(ctx.root)
  done()
  await buildWebHost({ root: ctx.root, env, progress })
  done = progress.phase('write dist/sf-release-manifest.json')
  const manifest = await writeReleaseManifest({ root: ctx.root, image: { tag: null, digest: null } })
  done(`commit ${manifest.git.commit.slice(0, 12)}, build ${manifest.webHost.buildId}`)
  await buildRuntimeImage(ctx)
  const imageId = (await docker(imageInspectArgs(config.SF_VEGA_IMAGE, '{{.Id}}'), { env })).stdout.trim()
  return { buildId: manifest.webHost.buildId, commit: manifest.git.commit, dirty: manifest.git.dirty, imageId, at }
}

/** Start the candidate and probe it; on failure show its last log lines, remove it and stop here. */
async function proveCandidate(ctx: UpgradeContext, candidate: ContainerSpec, expected: Expected, url: string, deadlineMs: number): Promise<void> {
  const { env, progress } = ctx
  let done = progress.phase(`start ${candidate.name}`)
  await docker(runDetachedArgs(candidate), { env })
  done()
  done = progress.phase(`probe ${candidate.name}`)
  try {
    await probeServer(url, expected, { deadlineMs, container: candidate.name, env })
  } catch (error) {
    await showLogs(candidate.name, env, progress)
    await docker(removeContainerArgs(candidate.name, { force: true }), { env, allowFailure: true })
    throw new UpgradeError(`the candidate failed, so ${ctx.config.SF_VEGA_NAME} was not touched: ${(error as Error).message}`, 'candidate-failed')
  }
  done()
}

/** --dry-run: every step with the docker commands it would run. */
function printPlan(ctx: UpgradeContext, preflight: Preflight, prodUrl: string, candidateUrl: string): void {
  const inputs = { ...vegaInputs(ctx, preflight), buildId: '<new build>', commit: '<new commit>', image: '<new runtime image id>', loader: 'loader-<new hash>.js' }
  const steps = upgradePlan({
    prod: vegaContainer(inputs),
    candidate: candidateSpec(inputs),
    lockFile: lockFile(ctx.config.SF_HOME, ctx.config.SF_VEGA_NAME),
    runtimeImage: ctx.config.SF_VEGA_IMAGE,
    dockerfile: path.join(ctx.root, 'docker', 'Dockerfile.source-server'),
    prodUrl,
    candidateUrl,
  })
  ctx.progress.event('plan', { steps })
  process.stderr.write(formatPlan(steps) + '\n')
}

/** What prod serves now, read from the container itself. */
export async function servingRelease(name: string, env: import('../env.ts').Env): Promise<Release | null> {
  const prod = await inspectContainer(name, env)
  if (!prod) return null
  return { buildId: prod.labels['sf.build-id'] ?? '?', commit: prod.labels['sf.commit'] ?? '?', dirty: false, imageId: prod.imageId, at: prod.startedAt }
}

export function entry(ctx: UpgradeContext, outcome: HistoryEntry['outcome'], from: Release | null, to: Release | null, rollback: string | null, error: string | null, action: HistoryEntry['action'] = 'upgrade'): HistoryEntry {
  const side = (r: Release | null) => (r ? { commit: r.commit, buildId: r.buildId, imageId: r.imageId } : null)
  return {
    at: new Date().toISOString(),
    by: `${os.userInfo().username}@${os.hostname()} (pid ${process.pid})`,
    action,
    name: ctx.config.SF_VEGA_NAME,
    from: side(from),
    to: side(to),
    phases: { ...ctx.progress.phases },
    outcome,
    rollback,
    error,
  }
}
