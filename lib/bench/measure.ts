// One measured run: the load runs before, during and after a change to prod; the slow requests go out
// just before the drain; the change reports its phases through a Report, whose events tell when the
// drain started. The figures are computed from what the clients saw.
import { createReport, type Report } from '../vega/report.ts'
import { BenchError } from './errors.ts'
import { failuresByPhase, longestWindowWithoutSuccess, requestFigures, slowFigures, type OutageWindow, type RequestFigures, type SlowFigures } from './figures.ts'
import { sleep, startLoad, startSlowRequests, type Clock, type SlowRequests } from './load.ts'

export interface LoadPlan {
  clients: number
  path: string
  errorPauseMs: number
  timeoutMs: number
  slowRequests: number
  slowHoldMs: number
  /** The load runs this long before the change starts, and this long after it returns. */
  leadMs: number
  tailMs: number
}

export interface RunTarget {
  /** Origin of prod on the host. */
  url: string
  /** Prod's container name: its drain phase is `drain <name> ...`. */
  name: string
  /** The admin token /api/hold requires. */
  token: string
}

export interface ChangeHooks {
  /** The Report the change must report its phases to. */
  report: Report
  /** Send the slow requests now (once). */
  sendSlow(): SlowRequests
}

export interface Change {
  /** Send the slow requests when this phase ends; otherwise `prepare` or `run` call sendSlow. */
  sendSlowAfterPhase?: string
  /** Runs under the load just before the change, and is not part of its time. */
  prepare?(hooks: ChangeHooks): Promise<void>
  run(hooks: ChangeHooks): Promise<void>
}

export interface PhaseSpan {
  phase: string
  /** From the start of the change. */
  startMs: number
  durationMs: number | null
}

export interface RunFigures {
  /** The change, from its call to its return. */
  wallClockMs: number
  /** When the drain phase started, from the start of the change. */
  drainStartMs: number
  requests: RequestFigures
  /** Failed requests by the phase in which they started, then by error code or status. */
  failuresByPhase: Record<string, Record<string, number>>
  longestWindowWithoutSuccess: OutageWindow & { opensAfterDrainStartMs: number }
  slowRequests: SlowFigures
  /** Duration in ms of each phase, by name. */
  phases: Record<string, number>
  timeline: PhaseSpan[]
}

export async function measureRun(target: RunTarget, plan: LoadPlan, change: Change, now: Clock = () => performance.now()): Promise<RunFigures> {
  const timeline: (PhaseSpan & { at: number; endAt: number | null })[] = []
  // Set from the report's events, which arrive inside the change.
  const seen: { drainStart: number | null; slow: SlowRequests | null } = { drainStart: null, slow: null }
  const sendSlow = () =>
    (seen.slow ??= startSlowRequests({ url: target.url, count: plan.slowRequests, holdMs: plan.slowHoldMs, token: target.token, now }))
  const report = createReport({
    json: true,
    out: (line) => {
      const e = JSON.parse(line) as { event: string; phase?: string; durationMs?: number }
      if (e.phase === undefined) return
      if (e.event === 'phase-start') {
        timeline.push({ phase: e.phase, at: now(), endAt: null, startMs: 0, durationMs: null })
        if (seen.drainStart === null && e.phase.startsWith(`drain ${target.name} `)) seen.drainStart = now()
      }
      if (e.event === 'phase-done') {
        const span = timeline.findLast((s) => s.phase === e.phase && s.endAt === null)
        if (span) Object.assign(span, { endAt: now(), durationMs: e.durationMs ?? null })
        if (e.phase === change.sendSlowAfterPhase) sendSlow()
      }
    },
  })

  const load = startLoad({ url: target.url, clients: plan.clients, path: plan.path, errorPauseMs: plan.errorPauseMs, timeoutMs: plan.timeoutMs, now })
  const loadStart = now()
  let origin = loadStart
  let changed: number | null = null
  let failure: unknown = null
  try {
    await sleep(plan.leadMs)
    await change.prepare?.({ report, sendSlow })
    origin = now()
    await change.run({ report, sendSlow })
    changed = now()
    await sleep(plan.tailMs)
  } catch (error) {
    failure = error
  }
  const samples = await load.stop()
  const loadStop = now()
  const { slow, drainStart } = seen
  const slowSamples = slow ? await slow.settled : []
  if (failure) throw failure
  if (!slow) throw new BenchError(`the slow requests were never sent: no phase ${JSON.stringify(change.sendSlowAfterPhase)} ended`)
  if (drainStart === null) throw new BenchError(`no phase "drain ${target.name} ..." started, so the drain cannot be located`)

  const bounds = { loadStart, loadStop, origin }
  const window = longestWindowWithoutSuccess(samples, bounds)
  const spans = timeline.map((t) => ({ phase: t.phase, start: t.at, end: t.endAt }))
  return {
    wallClockMs: Math.round(changed! - origin),
    drainStartMs: Math.round(drainStart - origin),
    requests: requestFigures(samples, bounds),
    failuresByPhase: failuresByPhase(samples, spans, changed!),
    longestWindowWithoutSuccess: { ...window, opensAfterDrainStartMs: Math.round(window.fromMs - (drainStart - origin)) },
    slowRequests: slowFigures(slowSamples, plan.slowHoldMs, slow.sentAt, drainStart),
    phases: { ...report.phases },
    timeline: timeline.map(({ phase, at, durationMs }) => ({ phase, startMs: Math.round(at - origin), durationMs })),
  }
}
