// docker:vega:up: build a release, then replace the one shared vega container (drained first) and
// wait until it serves this build. With the Compose plugin the container is made from
// docker-compose.vega.yaml, otherwise by `docker run`: the same container, from one definition.
import fs from 'node:fs/promises'
import path from 'node:path'
import { logsArgs, removeContainerArgs, renameArgs, runDetachedArgs, updateRestartArgs } from '../docker/args.ts'
import { drainContainer } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { ProbeError } from '../errors.ts'
import { proveCandidate } from '../front/candidate.ts'
import { convergeFront } from '../front/converge.ts'
import { frontName, portHolderName, type Slot } from '../front/definition.ts'
import { ensureCurrentFront, startStopped } from '../front/ensure.ts'
import { acquireLock, lockFile } from '../front/lock.ts'
import { probeServer } from '../front/probes.ts'
import { createFront, ensureNetwork, listFronts, wantedFront } from '../front/setup.ts'
import { frontSwap, slotPort, slotProbeHost } from '../front/swap.ts'
import { fetchAnswer, urlOf } from '../probe.ts'
import { ensureWebDependencies } from '../server/start.ts'
import type { ReleaseManifest } from '../release/manifest.ts'
import { composeEnv, vegaContainer, type VegaInputs } from './container.ts'
import { vegaInputs, type VegaContext } from './context.ts'
import { recordDeployment } from './deployment.ts'
import { frontSite, vegaLockBusy } from './front-site.ts'
import { preflightVega, type Preflight } from './preflight.ts'
import { pruneAfterDeploy } from './prune.ts'
import { buildRelease, buildRuntimeImage } from './release-build.ts'
import { recordServing } from './releases.ts'
import { slotServerSpec } from './slot-server.ts'

export interface Serving {
  url: string
  container: string
  manifest: ReleaseManifest
}

export async function vegaUp(ctx: VegaContext): Promise<Serving> {
  const preflight = await checked(ctx)
  return locked(ctx, 'npm run docker:vega:up', async () => {
    await startStoppedFirst(ctx)
    // As npm start does: a fresh clone has run npm ci, not npm --prefix web ci.
    await ensureWebDependencies(ctx.root, ctx.env, ctx.progress)
    await buildRelease(ctx, new Date().toISOString())
    const inputs = vegaInputs(ctx, preflight)
    if (ctx.config.SF_VEGA_FRONT === 'haproxy') return upBehindFront(ctx, preflight, inputs)
    if (!(await composeAnswers(ctx.env))) {
      ctx.progress.note('the Docker Compose plugin does not answer: running the same container with docker run')
      return runContainer(ctx, preflight, inputs)
    }
    const file = path.join(ctx.root, 'docker-compose.vega.yaml')
    await replace(ctx, preflight, () => docker(['compose', '--file', file, 'up', '--detach', '--no-build'], { env: { ...ctx.env, ...composeEnv(inputs) } }))
    return waitServing(ctx, inputs, preflight.probeHost)
  })
}

/** scripts/run-vega-source-server.ts: build the runtime image and run the container for the staged build (behind the front by default). */
export async function runVegaSourceServer(ctx: VegaContext): Promise<Serving> {
  const preflight = await checked(ctx)
  return locked(ctx, 'npm run docker:vega:run', async () => {
    await startStoppedFirst(ctx)
    await buildRuntimeImage(ctx)
    const inputs = vegaInputs(ctx, preflight)
    if (ctx.config.SF_VEGA_FRONT === 'haproxy') return upBehindFront(ctx, preflight, inputs)
    return runContainer(ctx, preflight, inputs)
  })
}

/** One line for people: where the server answers and which build it serves. */
export function describeServing(s: Serving): string {
  const m = s.manifest
  return `serving ${s.url} from container ${s.container}: ${m.name} ${m.version} commit ${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty)' : ''}, build ${m.webHost.buildId}, built ${m.builtAt}`
}

/** Behind the front: create or adopt it, then replace prod through it (no gap), or move a direct-mode prod behind it. */
async function upBehindFront(ctx: VegaContext, preflight: Preflight, inputs: VegaInputs): Promise<Serving> {
  const { config, progress } = ctx
  const site = frontSite(ctx)
  await fs.mkdir(config.SF_HOME, { recursive: true, mode: 0o700 })
  const expected = { commit: inputs.commit, buildId: inputs.buildId }
  const publishesPort = preflight.existing?.ports.some((p) => p.hostPort === config.SF_VEGA_PORT) ?? false
  if (publishesPort && !(await listFronts(site)).length) return moveBehindFront(ctx, preflight, inputs)
  // A front re-created beside a server that runs routes to that server's slot, not to none.
  const runningSlot = preflight.existing?.running ? (preflight.existing.labels['sf.vega.slot'] as Slot | undefined) : undefined
  let done = progress.phase('front')
  const frontNotes = await ensureCurrentFront(site, { active: runningSlot ?? null, probeHost: preflight.probeHost })
  done(frontNotes.length ? frontNotes.join('; ') : `${frontName(config.SF_VEGA_NAME)} is current`)
  done = progress.phase('converge')
  const notes = await convergeFront(site, 90_000)
  done(notes.length ? notes.join('; ') : 'nothing left over')
  const swap = await frontSwap(site, { serverSpec: (slot, port) => slotServerSpec(inputs, slot, port), expected, probeHost: preflight.probeHost, probeDeadlineMs: 90_000, settleMs: 0, canary: [], stepMs: 0, rules: null })
  if (!swap.swapped) throw new ProbeError(`the new ${config.SF_VEGA_NAME} failed behind the front (${swap.error}); ${swap.rollback}`)
  progress.note(`${portHolderName(config.SF_VEGA_NAME)} owns ${config.SF_VEGA_BIND}:${config.SF_VEGA_PORT}, ${frontName(config.SF_VEGA_NAME)} serves it; ${config.SF_VEGA_NAME} serves in slot ${swap.slot}`)
  return waitServing(ctx, inputs, preflight.probeHost)
}

/**
 * From direct mode: the old server holds the port the front needs, so the move costs one gap, from the
 * old server's drain until the front answers. The new server is started and proven first, to keep it short.
 */
async function moveBehindFront(ctx: VegaContext, preflight: Preflight, inputs: VegaInputs): Promise<Serving> {
  const { config, env, progress } = ctx
  const site = frontSite(ctx)
  const name = config.SF_VEGA_NAME
  const port = slotPort(config.SF_VEGA_PORT, 'a')
  const candidate = slotServerSpec(inputs, 'a', port)
  await ensureNetwork(site)
  const wanted = await wantedFront(site)
  await proveCandidate(site, candidate, { commit: inputs.commit, buildId: inputs.buildId }, urlOf(slotProbeHost, port), 90_000)
  const gapStart = Date.now()
  await drainContainer(name, config.SF_VEGA_DRAIN_STOP_TIME, env, progress)
  await docker(removeContainerArgs(name, { force: true }), { env, allowFailure: true })
  await createFront(site, wanted, 'a')
  await docker(renameArgs(candidate.name, name), { env })
  await docker(updateRestartArgs(name, 'unless-stopped'), { env })
  const serving = await waitServing(ctx, inputs, preflight.probeHost)
  progress.note(`moved ${name} behind ${frontName(name)}: ${config.SF_VEGA_BIND}:${config.SF_VEGA_PORT} answered nothing for ${Date.now() - gapStart} ms, this once; upgrades now switch through the front without a gap`)
  return serving
}

async function runContainer(ctx: VegaContext, preflight: Preflight, inputs: VegaInputs): Promise<Serving> {
  await replace(ctx, preflight, () => docker(runDetachedArgs(vegaContainer(inputs)), { env: ctx.env }))
  return waitServing(ctx, inputs, preflight.probeHost)
}

/** Behind the front, a front or server stopped by hand answers again before the long build, not after it. */
async function startStoppedFirst(ctx: VegaContext): Promise<void> {
  if (ctx.config.SF_VEGA_FRONT === 'haproxy') await startStopped(frontSite(ctx))
}

/** Under the upgrade lock (no two changes to one container at once); records what now serves. */
async function locked(ctx: VegaContext, command: string, body: () => Promise<Serving>): Promise<Serving> {
  const { config, env } = ctx
  const lock = await acquireLock(lockFile(config.SF_HOME, config.SF_VEGA_NAME), { command, waitMs: 0, busy: vegaLockBusy })
  try {
    const serving = await body()
    const state = await inspectContainer(config.SF_VEGA_NAME, env)
    const m = serving.manifest
    if (state) await recordServing(config.SF_HOME, config.SF_VEGA_NAME, { buildId: m.webHost.buildId, commit: m.git.commit, dirty: m.git.dirty, imageId: state.imageId, at: state.startedAt })
    await recordDeployment(config)
    await pruneAfterDeploy(ctx)
    return serving
  } finally {
    await lock.release()
  }
}

async function checked(ctx: VegaContext): Promise<Preflight> {
  const done = ctx.progress.phase('preflight')
  const preflight = await preflightVega(ctx.config, ctx.env)
  done(preflight.existing ? `replacing ${preflight.existing.name}` : `no ${ctx.config.SF_VEGA_NAME} yet`)
  return preflight
}

async function composeAnswers(env: Env): Promise<boolean> {
  return (await docker(['compose', 'version'], { env, allowFailure: true, timeoutMs: 10_000 })).code === 0
}

/** Drain and remove the container under the name (if any), then create the new one. */
async function replace(ctx: VegaContext, preflight: Preflight, create: () => Promise<unknown>): Promise<void> {
  const { config, env, progress } = ctx
  await fs.mkdir(config.SF_HOME, { recursive: true, mode: 0o700 })
  if (preflight.existing) {
    const name = preflight.existing.name
    if (preflight.existing.running) await drainContainer(name, config.SF_VEGA_DRAIN_STOP_TIME, env, progress)
    await docker(removeContainerArgs(name, { force: true }), { env, allowFailure: true })
  }
  const done = progress.phase(`start ${config.SF_VEGA_NAME}`)
  await create()
  done()
}

async function waitServing(ctx: VegaContext, inputs: VegaInputs, probeHost: string): Promise<Serving> {
  const url = urlOf(probeHost, inputs.port)
  const done = ctx.progress.phase(`wait for ${url}/api/ready`)
  try {
    await probeServer(url, { commit: inputs.commit, buildId: inputs.buildId }, { deadlineMs: 90_000, container: inputs.name, env: ctx.env })
  } catch (error) {
    const logs = await docker(logsArgs(inputs.name, 40), { env: ctx.env, allowFailure: true })
    throw new ProbeError(`${(error as Error).message}\nlast log lines of ${inputs.name}:\n${(logs.stdout + logs.stderr).trim()}`)
  }
  const manifest = (await fetchAnswer(`${url}/api/version`)).json as { manifest: ReleaseManifest }
  done()
  return { url, container: inputs.name, manifest: manifest.manifest }
}
