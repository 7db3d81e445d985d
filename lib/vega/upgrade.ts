// docker:vega:upgrade: version-verified blue/green for the vega container. Build a new immutable
// release, prove it in a candidate on the next port, then drain and replace prod, probe it, and roll
// back to the old container if it fails. One run at a time; every attempt goes into the history.
import path from 'node:path'
import { removeContainerArgs } from '../docker/args.ts'
import { describeFrontImageSources, frontImageSources } from '../docker/front-image.ts'
import { docker } from '../docker/engine.ts'
import { ConfigError } from '../errors.ts'
import { proveCandidate } from '../front/candidate.ts'
import { frontName, otherSlot, portHolderName } from '../front/definition.ts'
import { RollbackError, UpgradeError } from '../front/errors.ts'
import { analysisRules, describeVerdict, type Verdict } from '../front/analysis.ts'
import { acquireLock, lockFile } from '../front/lock.ts'
import type { Expected } from '../front/probes.ts'
import { activeSlot, readSlots } from '../front/runtime-api.ts'
import { findFront, frontPaths, publishesPort } from '../front/setup.ts'
import { candidateName } from '../front/site.ts'
import { canaryRefusal, frontSwap, slotPort, slotProbeHost } from '../front/swap.ts'
import { urlOf } from '../probe.ts'
import { rememberCurrentBuild } from '../release/web-host.ts'
import { candidateSpec, vegaContainer, type VegaInputs } from './container.ts'
import { vegaInputs, type UpgradeContext } from './context.ts'
import { convergeVega } from './converge.ts'
import { recordDeployment } from './deployment.ts'
import { engineLost } from './engine-lost.ts'
import { frontSite, vegaLockBusy } from './front-site.ts'
import { abandonedEntry, appendHistory, entry, side, type HistoryEntry } from './history.ts'
import { formatPlan, frontUpgradePlan, upgradePlan } from './plan.ts'
import { preflightVega, type Preflight } from './preflight.ts'
import { pruneAfterDeploy } from './prune.ts'
import { buildRelease } from './release-build.ts'
import { recordAdopted, recordServing, servingRelease, type Release } from './releases.ts'
import { slotServerSpec } from './slot-server.ts'
import { swapProd } from './swap.ts'

export interface UpgradeOptions {
  dryRun: boolean
  lockWaitMs: number
  probeDeadlineMs: number
  /** Behind the front: the settle window (see lib/front/swap.ts). */
  settleMs: number
  /** Behind the front: the new server's shares in % before it takes every request; none: straight to all. */
  canary: number[]
  stepMs: number
  /** How the run was started, for the lock and the history. */
  command: string
  /** The upgrader container this run is, when a server started it (see upgrader.ts). */
  container?: string
}

/** The history entry of the attempt, or null for a dry run. */
export async function upgradeVega(ctx: UpgradeContext, o: UpgradeOptions): Promise<HistoryEntry | null> {
  const { config, env, progress } = ctx
  const name = config.SF_VEGA_NAME
  let done = progress.phase('preflight')
  const preflight = await preflightVega(config, env)
  const front = config.SF_VEGA_FRONT === 'haproxy'
  // The candidate's port must be free too, or held by a leftover candidate (converge removes it).
  // Behind the front the candidate's port follows its slot, and docker run refuses a taken one.
  if (!front) await preflightVega(config, env, config.SF_VEGA_PORT + 1, candidateName(name))
  // A front that exists but was stopped is started by the converge step below; only none at all is up's job.
  const existingFront = front ? await findFront(frontSite(ctx)) : null
  if (front && !existingFront) {
    const image = describeFrontImageSources(await frontImageSources({ configured: config.SF_VEGA_FRONT_IMAGE, env }))
    throw new ConfigError(`SF_VEGA_FRONT=haproxy but there is no front ${frontName(name)}: run npm run docker:vega:up first, which creates it (and moves a direct-mode server behind it); ${image}`)
  }
  // Its config is rewritten at each switch for fronts in a holder's namespace; moving it costs a gap, up's to take.
  if (existingFront && publishesPort(existingFront)) {
    throw new ConfigError(`${frontName(name)} publishes ${config.SF_VEGA_BIND}:${config.SF_VEGA_PORT} itself (it was made before the port holder ${portHolderName(name)}): run npm run docker:vega:up once, which moves it behind the holder (a gap of about a second, said when it happens), then upgrade`)
  }
  if (o.canary.length && !front) throw new ConfigError('--canary: canary steps give the new server a share of the requests through the front; with SF_VEGA_FRONT=none there is none: set SF_VEGA_FRONT=haproxy and run npm run docker:vega:up, or upgrade without --canary')
  const refusal = o.canary.length && existingFront?.running ? await canaryRefusal(frontSite(ctx)) : null
  if (refusal) throw new ConfigError(refusal)
  done()
  const prodUrl = urlOf(preflight.probeHost, config.SF_VEGA_PORT)
  const candidateUrl = urlOf(preflight.probeHost, config.SF_VEGA_PORT + 1)

  if (o.dryRun) {
    await printPlan(ctx, preflight, prodUrl, candidateUrl, o)
    return null
  }

  done = progress.phase('lock')
  const lock = await acquireLock(lockFile(config.SF_HOME, name), {
    command: o.command,
    container: o.container,
    waitMs: o.lockWaitMs,
    busy: vegaLockBusy,
    onWait: (h) => progress.note(`waiting for the upgrade of pid ${h.pid} (${h.user}@${h.host}, since ${h.since})`),
  })
  done(lock.recovered ? `recovered the lock left by dead pid ${lock.recovered.pid} (since ${lock.recovered.since})` : undefined)
  const started = new Date().toISOString()
  let from: Release | null = null
  let to: Release | null = null
  let analysis: Verdict[] = []
  let restoreCheckout = async () => {}
  progress.watch(() => lock.record({ action: 'upgrade', from: side(from), to: side(to), phases: { ...progress.phases }, current: progress.current }))
  try {
    if (lock.recovered) await appendHistory(config.SF_HOME, abandonedEntry(name, lock.recovered))
    done = progress.phase('converge')
    const notes = await convergeVega(ctx, prodUrl, o.probeDeadlineMs)
    done(notes.length ? notes.join('; ') : 'nothing left over')

    from = await servingRelease(name, env)
    // A killed run's server that converge kept is what served: the release to roll back to after this one.
    await recordAdopted(config.SF_HOME, name, from)

    const putBack = await rememberCurrentBuild(ctx.root)
    restoreCheckout = async () => {
      await putBack()
      progress.note('dist/web/standalone and dist/sf-release-manifest.json point at the build they named before this run')
    }
    to = await buildRelease(ctx, started)
    const inputs: VegaInputs = { ...vegaInputs(ctx, preflight), image: to.imageId }
    const expected = { commit: to.commit, buildId: to.buildId }

    const swap = front
      ? await frontSwap(frontSite(ctx), {
          serverSpec: (slot, port) => slotServerSpec(inputs, slot, port),
          expected,
          probeHost: preflight.probeHost,
          probeDeadlineMs: o.probeDeadlineMs,
          settleMs: o.settleMs,
          canary: o.canary,
          stepMs: o.stepMs,
          rules: analysisRules(config),
          onVerdict: (verdict) => {
            ctx.progress.event('analysis', { ...verdict })
            for (const line of describeVerdict(verdict)) ctx.progress.note(line)
          },
        })
      : { ...(await directSwap(ctx, inputs, expected, candidateUrl, prodUrl, o.probeDeadlineMs)), analysis: [] }
    analysis = swap.analysis
    if (!swap.swapped) {
      const failed = analysis.find((v) => v.decision === 'fail')
      const why = failed && failed.rule !== 'probes' ? `was judged by its traffic (${failed.stage}: ${failed.reason})` : `failed its probes (${swap.error})`
      throw new UpgradeError(`the new ${name} ${why}; rolled back: ${swap.rollback}`, 'rolled-back', swap.rollback)
    }
    await recordServing(config.SF_HOME, name, to)
    await recordDeployment(config)
    await pruneAfterDeploy(ctx)
    const result = { ...entry(ctx, 'upgraded', from, to, null, null), at: started, analysis }
    await appendHistory(config.SF_HOME, result)
    return result
  } catch (caught) {
    const error = (await engineLost(caught, { env, name, phase: progress.current, reached: [...Object.keys(progress.phases), ...(progress.current ? [progress.current] : [])] })) ?? caught
    await restoreCheckout()
    await docker(removeContainerArgs(candidateName(name), { force: true }), { env, allowFailure: true })
    const outcome = error instanceof UpgradeError ? error.outcome : error instanceof RollbackError ? 'rollback-failed' : 'failed'
    const rollback = error instanceof UpgradeError ? error.rollback : null
    await appendHistory(config.SF_HOME, { ...entry(ctx, outcome, from, to, rollback, (error as Error).message), at: started, analysis })
    throw error
  } finally {
    await lock.release()
  }
}

/** The spec's literal handover: prove the candidate on the next port, then drain and replace prod on the port. */
async function directSwap(ctx: UpgradeContext, inputs: VegaInputs, expected: Expected, candidateUrl: string, prodUrl: string, probeDeadlineMs: number) {
  const { config, env, progress } = ctx
  const candidate = candidateSpec(inputs)
  await proveCandidate(frontSite(ctx), candidate, expected, candidateUrl, probeDeadlineMs)
  const swap = await swapProd({ env, progress, spec: vegaContainer(inputs), expected, probeUrl: prodUrl, stopTimeout: config.SF_VEGA_DRAIN_STOP_TIME, probeDeadlineMs })
  const done = progress.phase(`remove ${candidate.name}`)
  await docker(removeContainerArgs(candidate.name, { force: true }), { env, allowFailure: true })
  done()
  return swap
}

/** --dry-run: every step with the docker commands (and, behind the front, the runtime API commands) it would run. */
async function printPlan(ctx: UpgradeContext, preflight: Preflight, prodUrl: string, candidateUrl: string, o: UpgradeOptions): Promise<void> {
  const { config } = ctx
  const inputs = { ...vegaInputs(ctx, preflight), buildId: '<new build>', commit: '<new commit>', image: '<new runtime image id>', loader: 'loader-<new hash>.js' }
  const common = {
    lockFile: lockFile(config.SF_HOME, config.SF_VEGA_NAME),
    runtimeImage: config.SF_VEGA_IMAGE,
    dockerfile: path.join(ctx.root, 'docker', 'Dockerfile.source-server'),
    prodUrl,
  }
  let steps
  if (config.SF_VEGA_FRONT === 'haproxy') {
    const { socket } = frontPaths(frontSite(ctx))
    const oldSlot = activeSlot(await readSlots(socket))
    const slot = oldSlot ? otherSlot(oldSlot) : 'a'
    const port = slotPort(config.SF_VEGA_PORT, slot)
    steps = frontUpgradePlan({
      ...common,
      prodName: config.SF_VEGA_NAME,
      candidate: slotServerSpec(inputs, slot, port),
      slot,
      oldSlot,
      socket,
      candidateUrl: urlOf(slotProbeHost, port),
      stopTimeout: config.SF_VEGA_DRAIN_STOP_TIME,
      settleSeconds: o.settleMs / 1000,
      canary: o.canary,
      stepSeconds: o.stepMs / 1000,
    })
  } else {
    steps = upgradePlan({ ...common, prod: vegaContainer(inputs), candidate: candidateSpec(inputs), candidateUrl })
  }
  ctx.progress.event('plan', { steps })
  process.stderr.write(formatPlan(steps) + '\n')
}
