// npm run bench:front: what the front's own life costs prod's clients, under the same load as
// bench:upgrade, on one front-mode prod. (1) The front replaced the way npm run docker:vega:front does
// it: a new front takes the listening sockets from the old one (haproxy -x) and answers before the old
// one's soft stop, with held requests in flight. (2) A seamless reload of the configuration (SIGUSR2 to
// the master). (3) The baseline, the old way: soft stop, remove, start again from the same definition;
// the holder keeps the port published, but nothing listens in between. It measures and records; it
// asserts no times.
import { killArgs, removeContainerArgs, stopArgs } from '../docker/args.ts'
import { docker, engineAnswers } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { DockerError } from '../errors.ts'
import { waitFor } from '../probe.ts'
import type { Progress } from '../progress.ts'
import { frontName, nextFrontName } from '../front/definition.ts'
import { removeSocketOf } from '../front/replace.ts'
import { activeSlot, frontCommand, readSlots } from '../front/runtime-api.ts'
import { findFront, frontPaths, linkFrontSocket, startFront, wantedFront, writeFrontConfig } from '../front/setup.ts'
import type { VegaContext } from '../vega/context.ts'
import { replaceVegaFront } from '../vega/front.ts'
import { frontSite } from '../vega/front-site.ts'
import { BenchError } from './errors.ts'
import { untilHeld } from './load.ts'
import { measureRun, type LoadPlan, type RunFigures } from './measure.ts'
import { loadMethod, slowMethod, windowMethod } from './method.ts'
import { withProd, type Prod } from './prod.ts'
import { machine, writeResult } from './record.ts'
import { fixedPlan, probeRoutes } from './bench-upgrade.ts'

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
  /** What replaceVegaFront said it did in the replace run. */
  replaceSaid: string[]
  runs: { replace: RunFigures; replaceOldWay: RunFigures; replaceOldWayIdle: RunFigures; reload: RunFigures }
}

const readyDeadlineMs = 30_000
/** The old way's docker stop, the stop timeout frontContainer gives the front. */
const oldWayStopSeconds = 30

export async function benchFront(o: FrontBenchOptions): Promise<{ file: string; result: FrontBenchResult }> {
  const engine = await engineAnswers(o.env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const at = new Date()
  // Read now: its load average is the one at the start.
  const host = machine(engine.version)
  const plan: LoadPlan = { ...fixedPlan, routes: probeRoutes(o.clients), slowRequests: o.slowRequests, slowHoldMs: o.slowHoldMs }
  const held = `${plan.slowRequests} held requests in flight`
  const measured = await withProd(o, 'front', async (prod) => {
    const front = frontName(prod.sandbox.name)
    const replaceSaid: string[] = []
    const replace = await frontRun(prod, plan, o, `(1) replace ${front} the new way (docker:vega:front), ${held}`, `start ${nextFrontName(prod.sandbox.name)}`, async (report) => {
      replaceSaid.push(...(await replaceNewWay(prod.ctx, report)))
    })
    // The front the replace left (started with -x, renamed): what a reload meets after docker:vega:front.
    const reload = await frontRun(prod, plan, o, `(2) seamless reload of ${front}, ${held}`, `reload ${front}`, (report) => reloadFront(prod.ctx, report))
    const replaceOldWay = await frontRun(prod, plan, o, `(3) replace ${front} the old way, ${held}`, `stop ${front}`, (report) => replaceOldWayFront(prod, report))
    const idle = { ...plan, slowRequests: 0 }
    const replaceOldWayIdle = await frontRun(prod, idle, o, `(3') replace ${front} the old way, no held request`, `stop ${front}`, (report) => replaceOldWayFront(prod, report))
    return { replaceSaid, runs: { replace, replaceOldWay, replaceOldWayIdle, reload }, drainStopSeconds: prod.ctx.config.SF_VEGA_DRAIN_STOP_TIME }
  })
  const result: FrontBenchResult = {
    benchmark: 'front',
    at: at.toISOString(),
    machine: host,
    method: method(plan, measured.drainStopSeconds),
    replaceSaid: measured.replaceSaid,
    runs: measured.runs,
  }
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
  const { requests, longestWindowWithoutSuccess: window, slowRequests: slow } = run
  done(`${requests.failed} of ${requests.total} failed, longest window without a success ${window.ms} ms, held requests answered 200: ${slow.ok} of ${slow.sent}`)
  return run
}

/** What npm run docker:vega:front runs; a run that replaced nothing measured nothing. */
async function replaceNewWay(ctx: VegaContext, progress: Progress): Promise<string[]> {
  const said = await replaceVegaFront({ ...ctx, progress }, { dryRun: false, lockWaitMs: 0 })
  for (const line of said) progress.note(line)
  if (!said.some((line) => line.startsWith('replaced '))) throw new BenchError(`replaceVegaFront did not replace the front of ${ctx.config.SF_VEGA_NAME}; it said: ${said.join('; ') || 'nothing'}`)
  return said
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

/**
 * The baseline: stop and remove the front, start it again from the one definition with no -x (it binds
 * the port itself in the holder's namespace), wait for /api/ready through it. The holder keeps the port
 * published; from the stop to the new bind nothing listens behind it.
 */
async function replaceOldWayFront(prod: Prod, progress: Progress): Promise<void> {
  const ctx = { ...prod.ctx, progress }
  const site = frontSite(ctx)
  const active = activeSlot(await readSlots(frontPaths(site).socket))
  if (!active) throw new BenchError(`the front of ${site.name} has no active slot to come back to`)
  const old = await findFront(site)
  if (!old?.running) throw new BenchError(`${frontName(site.name)} does not run, so there is nothing to replace: the run before this one must have left it down`)
  let done = progress.phase(`stop ${old.name} (docker stop --time ${oldWayStopSeconds}, soft stop)`)
  await docker(stopArgs(old.name, oldWayStopSeconds), { env: ctx.env })
  done()
  done = progress.phase(`remove ${old.name}`)
  await docker(removeContainerArgs(old.name), { env: ctx.env })
  await removeSocketOf(site, old)
  done()
  await writeFrontConfig(site, active)
  const started = await startFront(site, await wantedFront(site))
  await linkFrontSocket(site, started.id)
  done = progress.phase(`wait for ${prod.sandbox.url}/api/ready through the new front`)
  const ready = await waitFor(`${prod.sandbox.url}/api/ready`, { deadlineMs: readyDeadlineMs, minIntervalMs: 10, maxIntervalMs: 50 })
  done(`after ${ready.waitedMs} ms`)
}

function method(plan: LoadPlan, drainStopSeconds: number): Record<string, unknown> {
  return {
    load: loadMethod(plan),
    slowRequests: { ...slowMethod(plan), sent: 'just before the change, once GET /api/drain counts them as held requests' },
    longestWindowWithoutSuccess: windowMethod,
    order: 'one front-mode prod; replace, then reload (of the front the replace left), then replaceOldWay, then replaceOldWayIdle',
    replace:
      `replaceVegaFront with lockWaitMs 0 (what npm run docker:vega:front runs: the upgrade lock, then ensureCurrentFront with force: true): haproxy -c on the generated config in a throwaway container of the front image; docker run <name>-front-next in the holder's network namespace (--network container:<name>-port) with -x on the old front's admin socket, so it takes the listening sockets over and both accept on them; the old front's slot states copied to it; proven (its view of the active slot up, then fresh GET /api/ready through the port until it has answered a 2xx itself); admin.sock linked to it; then docker stop --time ${drainStopSeconds} <name>-front (SIGUSR1, soft stop: it stops accepting and finishes what it serves; option idle-close-on-response closes an idle keep-alive connection after its next answer), docker rm, docker rename <name>-front-next <name>-front`,
    replaceOldWay:
      `the baseline: docker stop --time ${oldWayStopSeconds} <name>-front (SIGUSR1, soft stop: the listeners close at once, running requests finish), docker rm, then writeFrontConfig for the active slot and docker run of the same definition (frontContainer, no -x: it binds the port itself) in the holder's namespace, wait for its admin socket, link admin.sock to it, then poll /api/ready through the port. The holder <name>-port publishes the port throughout, but nothing listens behind it from the stop until the new front binds`,
    replaceOldWayIdle: 'the same old-way replace with no held request in flight',
    reload:
      'writeFrontConfig with the active slot (an atomic rename of haproxy.cfg), docker kill --signal USR2 <name>-front (the master re-reads the file and starts a new worker, which takes the listening sockets over from the old worker, so the port is never closed; the old worker finishes what it serves), then wait until show info on admin.sock names a new worker pid',
    theSwitch: {
      replace: 'the start of the phase "start <name>-front-next ...": the new front takes the listeners over',
      replaceOldWay: 'the start of the phase "stop <name>-front ..."',
      reload: 'the start of the phase "reload <name>-front ..."',
    },
    machineLoad: 'the engine and the CPUs are shared with other work: every run records the 1-minute load average before and after',
  }
}
