// npm run bench:front: what the front's own life costs prod's clients, under the same load as
// bench:upgrade. (a) A seamless reload: haproxy.cfg rewritten and SIGUSR2 to the master, which starts
// a new worker on the listeners the old one hands over (expose-fd listeners); (b) replacing the front's
// container from the same definition (what a new front image needs), with held requests in flight and
// with none. It measures and records; it asserts no times.
import { killArgs, removeContainerArgs, stopArgs } from '../docker/args.ts'
import { docker, engineAnswers } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { DockerError } from '../errors.ts'
import { waitFor } from '../probe.ts'
import type { Progress } from '../progress.ts'
import { frontName } from '../front/definition.ts'
import { activeSlot, frontCommand, readSlots } from '../front/runtime-api.ts'
import { findFront, frontPaths, linkFrontSocket, startFront, wantedFront, writeFrontConfig } from '../front/setup.ts'
import type { VegaContext } from '../vega/context.ts'
import { frontSite } from '../vega/front-site.ts'
import { BenchError } from './errors.ts'
import { untilHeld } from './load.ts'
import { measureRun, type LoadPlan, type RunFigures } from './measure.ts'
import { loadMethod, slowMethod, windowMethod } from './method.ts'
import { withProd, type Prod } from './prod.ts'
import { machine, writeResult } from './record.ts'
import { fixedPlan } from './bench-upgrade.ts'

export interface FrontBenchOptions {
  root: string
  env: Env
  progress: Progress
  clients: number
  slowRequests: number
  slowHoldMs: number
  resultsDir: string
  signal?: AbortSignal
}

export interface FrontBenchResult {
  benchmark: 'front'
  at: string
  machine: Record<string, unknown>
  method: Record<string, unknown>
  runs: { reload: RunFigures; replace: RunFigures; replaceIdle: RunFigures }
}

const readyDeadlineMs = 30_000

export async function benchFront(o: FrontBenchOptions): Promise<{ file: string; result: FrontBenchResult }> {
  const engine = await engineAnswers(o.env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const at = new Date()
  const plan: LoadPlan = { ...fixedPlan, clients: o.clients, slowRequests: o.slowRequests, slowHoldMs: o.slowHoldMs }
  const runs = await withProd(o, 'front', async (prod) => {
    const front = frontName(prod.sandbox.name)
    const reload = await frontRun(prod, plan, o, `(a) seamless reload of ${front} under load`, `reload ${front}`, (report) => reloadFront(prod.ctx, report))
    const replace = await frontRun(prod, plan, o, `(b) replace ${front} under load, ${plan.slowRequests} held requests in flight`, `stop ${front}`, (report) =>
      replaceFront(prod, report),
    )
    const replaceIdle = await frontRun(prod, { ...plan, slowRequests: 0 }, o, `(b') replace ${front} under load, no held request`, `stop ${front}`, (report) =>
      replaceFront(prod, report),
    )
    return { reload, replace, replaceIdle }
  })
  const result: FrontBenchResult = { benchmark: 'front', at: at.toISOString(), machine: machine(engine.version), method: method(plan), runs }
  return { file: await writeResult(o.resultsDir, 'front', at, result), result }
}

type Step = (report: Progress) => Promise<void>

/** The held requests go out, and are counted by the server, before the change starts. */
async function frontRun(prod: Prod, plan: LoadPlan, o: FrontBenchOptions, title: string, switchPhase: string, step: Step): Promise<RunFigures> {
  const done = o.progress.phase(title)
  const run = await measureRun(prod.target, plan, {
    switchPhase,
    prepare: async ({ sendSlow }) => {
      sendSlow()
      if (plan.slowRequests > 0) await untilHeld(prod.target.url, prod.target.token, plan.slowRequests, 5000)
    },
    run: ({ report }) => step(report),
  })
  done(`${run.requests.failed} of ${run.requests.total} failed, longest window without a success ${run.longestWindowWithoutSuccess.ms} ms, held requests lost ${run.slowRequests.lost} of ${run.slowRequests.sent}`)
  return run
}

/** Rewrite haproxy.cfg for the slot that serves, SIGUSR2 the master, wait for the new worker to answer. */
async function reloadFront(ctx: VegaContext, progress: Progress): Promise<void> {
  const site = frontSite(ctx)
  const { socket, config } = frontPaths(site)
  const front = frontName(site.name)
  const before = workerPid(await frontCommand(socket, 'show info'))
  let done = progress.phase(`rewrite ${config}`)
  await writeFrontConfig(site, activeSlot(await readSlots(socket)))
  done()
  done = progress.phase(`reload ${front} (docker kill --signal USR2)`)
  await docker(killArgs(front, 'USR2'), { env: ctx.env })
  done()
  done = progress.phase(`wait for a new worker on ${socket}`)
  const deadline = Date.now() + readyDeadlineMs
  for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
    const pid = await frontCommand(socket, 'show info', 2000).then(workerPid, () => null)
    if (pid !== null && pid !== before) {
      done(`worker pid ${before} → ${pid}`)
      return
    }
    if (Date.now() > deadline) throw new BenchError(`${front} had no new worker ${readyDeadlineMs} ms after SIGUSR2 (still pid ${pid ?? 'none'}); see docker logs ${front}`)
    await new Promise((r) => setTimeout(r, wait))
  }
}

function workerPid(info: string): string | null {
  return /^Pid: (\d+)$/m.exec(info)?.[1] ?? null
}

/** Stop and remove the front, start it again from the one definition (ensureFront), wait for /api/ready through it. */
async function replaceFront(prod: Prod, progress: Progress): Promise<void> {
  const ctx = { ...prod.ctx, progress }
  const { config } = ctx
  const site = frontSite(ctx)
  const active = activeSlot(await readSlots(frontPaths(site).socket))
  if (!active) throw new BenchError(`the front of ${config.SF_VEGA_NAME} has no active slot to come back to`)
  const spec = (await findFront(site))!
  let done = progress.phase(`stop ${spec.name} (docker stop --time 30, soft stop)`)
  await docker(stopArgs(spec.name, 30), { env: ctx.env })
  done()
  done = progress.phase(`remove ${spec.name}`)
  await docker(removeContainerArgs(spec.name), { env: ctx.env })
  done()
  await writeFrontConfig(site, active)
  const started = await startFront(site, await wantedFront(site))
  await linkFrontSocket(site, started.id)
  done = progress.phase(`wait for ${prod.sandbox.url}/api/ready through the new front`)
  const ready = await waitFor(`${prod.sandbox.url}/api/ready`, { deadlineMs: readyDeadlineMs, minIntervalMs: 10, maxIntervalMs: 50 })
  done(`after ${ready.waitedMs} ms`)
}

function method(plan: LoadPlan): Record<string, unknown> {
  return {
    load: loadMethod(plan),
    slowRequests: { ...slowMethod(plan), sent: 'just before the change, once GET /api/drain counts them as held requests' },
    longestWindowWithoutSuccess: windowMethod,
    reload:
      'writeFrontConfig with the active slot (an atomic rename of haproxy.cfg), docker kill --signal USR2 <name>-front (the master re-reads the file and starts a new worker on the listeners the old one hands over through the admin socket, expose-fd listeners; the old worker finishes what it serves), then wait until show info on the admin socket names a new worker pid',
    replace:
      'docker stop --time 30 <name>-front (SIGUSR1: haproxy\'s soft stop, listeners closed at once, running requests finish), docker rm, then ensureFront: docker run from the same definition (frontContainer) with the config for the active slot, wait for the admin socket, then poll /api/ready through the port',
    replaceIdle: 'the same replace with no held request in flight',
    theSwitch: 'the start of the phase "reload <name>-front" or "stop <name>-front"',
  }
}
