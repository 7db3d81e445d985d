// One measured run: the load runs before, during and after a change to prod; the slow requests go out
// just before the switch; the change reports its phases through a Report, whose events tell when the
// switch started and when the candidate was proven. The figures are computed from what the clients saw.
import { createReport, type Report } from '../vega/report.ts'
import { BenchError } from './errors.ts'
import { loadAverage1m } from './record.ts'
import {
  countsBetween,
  failuresByPhase,
  longestWindowWithoutSuccess,
  requestFigures,
  slowFigures,
  timeToBuild,
  type OutageWindow,
  type PathCounts,
  type RunBounds,
  type RequestFigures,
  type SlowFigures,
} from './figures.ts'
import { pollBuild, sleep, startRoutes, startSlowRequests, type BuildPoller, type Clock, type Route, type Sample, type SlowRequests } from './load.ts'

export interface LoadPlan {
  /** Which paths the clients ask for, and how many clients each. */
  routes: readonly Route[]
  /** A client's pause after each answer; 0: as fast as answers come. */
  pauseMs: number
  errorPauseMs: number
  timeoutMs: number
  slowRequests: number
  slowHoldMs: number
  /** The load runs this long before the change starts, and this long after it returns. */
  leadMs: number
  tailMs: number
  /** And after the tail, on until this many requests are measured (at most `maxExtraMs` more). */
  minRequests: number
  maxExtraMs: number
  /** Pause between two GET /api/version of the build poller. */
  pollIntervalMs: number
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
  /** The phase whose start is the switch (its name, or the words its name starts with): the slow requests are counted against it. */
  switchPhase: string
  /** Send the slow requests when this phase ends; otherwise `prepare` or `run` call sendSlow. */
  sendSlowAfterPhase?: string
  /**
   * "Candidate proven": the end of this phase. From then on the bench polls /api/version on prod's port
   * until the change returns; `newBuild`, asked afterwards, names the build to look for.
   */
  proven?: { phase: string; newBuild(): string | null; servingPhase: string }
  /** The phase whose start is the switch back to the old server, for a change that may make one. */
  switchBackPhase?: string
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

export interface ProvenToServing {
  /** The build the change put in. */
  buildId: string | null
  /** To the first GET /api/version through prod's port that named it. */
  polledMs: number | null
  polls: number
  /** To the end of the change's own phase that says prod serves it (`servingPhase`). */
  servingPhase: string
  servingPhaseEndMs: number | null
}

export interface RunFigures {
  /** The change, from its call to its return. */
  wallClockMs: number
  /** The 1-minute load average of the machine before and after the run. */
  loadAverage: { before: number; after: number }
  /** When the switch phase started, from the start of the change. */
  switchPhase: string
  switchStartMs: number
  /** When prod's drain (`docker stop`) started, if it did. */
  drainStartMs: number | null
  requests: RequestFigures
  /** Failed requests by the phase in which they started, then by error code or status. */
  failuresByPhase: Record<string, Record<string, number>>
  longestWindowWithoutSuccess: OutageWindow & { opensAfterSwitchStartMs: number }
  slowRequests: SlowFigures
  /** From the end of the candidate's probes; null for a change with no candidate. */
  provenToServing: ProvenToServing | null
  /** With `switchBackPhase`: what the clients got until the switch back and in the whole run. */
  switchBack?: SwitchBackFigures
  /** Duration in ms of each phase, by name. */
  phases: Record<string, number>
  timeline: PhaseSpan[]
}

export interface SwitchBackFigures {
  /** The switch-back phase, and when it started from the start of the change; null when none started. */
  phase: string | null
  startMs: number | null
  /** From the start of the switch to the start of the switch back. */
  afterSwitchMs: number | null
  /** By path and all together, of the requests that started in the whole run, and from the switch to the switch back (to the load's stop without one). */
  requests: { wholeRun: Record<string, PathCounts>; switchToSwitchBack: Record<string, PathCounts> }
}

export async function measureRun(target: RunTarget, plan: LoadPlan, change: Change, now: Clock = () => performance.now()): Promise<RunFigures> {
  const loadBefore = loadAverage1m()
  const timeline: (PhaseSpan & { at: number; endAt: number | null })[] = []
  // Set from the report's events, which arrive inside the change.
  const seen: { slow: SlowRequests | null; proven: number | null; poller: BuildPoller | null } = { slow: null, proven: null, poller: null }
  const sendSlow = () => (seen.slow ??= slowRequests(target, plan, now))
  const report = createReport({
    json: true,
    out: (line) => {
      const e = JSON.parse(line) as { event: string; phase?: string; durationMs?: number }
      if (e.phase === undefined) return
      if (e.event === 'phase-start') timeline.push({ phase: e.phase, at: now(), endAt: null, startMs: 0, durationMs: null })
      if (e.event === 'phase-done') {
        const span = timeline.findLast((s) => s.phase === e.phase && s.endAt === null)
        if (span) Object.assign(span, { endAt: now(), durationMs: e.durationMs ?? null })
        if (e.phase === change.sendSlowAfterPhase) sendSlow()
        if (e.phase === change.proven?.phase && seen.proven === null) {
          seen.proven = now()
          seen.poller = pollBuild({ url: target.url, intervalMs: plan.pollIntervalMs, timeoutMs: plan.timeoutMs, now })
        }
      }
    },
  })

  const load = startRoutes({ url: target.url, routes: plan.routes, pauseMs: plan.pauseMs, errorPauseMs: plan.errorPauseMs, timeoutMs: plan.timeoutMs, now })
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
    const extraUntil = now() + plan.maxExtraMs
    while (load.count() < plan.minRequests && now() < extraUntil) await sleep(50)
  } catch (error) {
    failure = error
  }
  const polls = (await seen.poller?.stop()) ?? []
  const samples = await load.stop()
  const loadStop = now()
  const { slow } = seen
  const slowSamples = slow ? await slow.settled : []
  if (failure) throw failure
  if (!slow) throw new BenchError(`the slow requests were never sent: no phase ${JSON.stringify(change.sendSlowAfterPhase)} ended`)
  const switchSpan = timeline.find((s) => named(s.phase, change.switchPhase))
  if (!switchSpan) throw new BenchError(`no phase "${change.switchPhase}..." started, so the switch cannot be located`)
  const switchStart = switchSpan.at
  const drainStart = timeline.find((s) => named(s.phase, `drain ${target.name}`))?.at ?? null

  const bounds = { loadStart, loadStop, origin }
  const window = longestWindowWithoutSuccess(samples, bounds)
  const spans = timeline.map((t) => ({ phase: t.phase, start: t.at, end: t.endAt }))
  return {
    wallClockMs: Math.round(changed! - origin),
    loadAverage: { before: loadBefore, after: loadAverage1m() },
    switchPhase: switchSpan.phase,
    switchStartMs: Math.round(switchStart - origin),
    drainStartMs: drainStart === null ? null : Math.round(drainStart - origin),
    requests: requestFigures(samples, bounds),
    failuresByPhase: failuresByPhase(samples, spans, changed!),
    longestWindowWithoutSuccess: { ...window, opensAfterSwitchStartMs: Math.round(window.fromMs - (switchStart - origin)) },
    slowRequests: slowFigures(slowSamples, plan.slowHoldMs, slow.sentAt, switchStart),
    provenToServing: change.proven ? provenToServing(change.proven, seen.proven, polls, timeline) : null,
    ...(change.switchBackPhase === undefined ? {} : { switchBack: switchBack(change.switchBackPhase, samples, timeline, switchStart, bounds) }),
    phases: { ...report.phases },
    timeline: timeline.map(({ phase, at, durationMs }) => ({ phase, startMs: Math.round(at - origin), durationMs })),
  }
}

function provenToServing(
  proven: NonNullable<Change['proven']>,
  at: number | null,
  polls: Parameters<typeof timeToBuild>[0],
  timeline: readonly { phase: string; at: number; endAt: number | null }[],
): ProvenToServing {
  const buildId = proven.newBuild()
  const servingEnd = timeline.find((s) => named(s.phase, proven.servingPhase) && at !== null && s.at >= at)?.endAt ?? null
  return {
    buildId,
    polledMs: at === null || buildId === null ? null : timeToBuild(polls, buildId, at),
    polls: polls.length,
    servingPhase: proven.servingPhase,
    servingPhaseEndMs: at === null || servingEnd === null ? null : Math.round(servingEnd - at),
  }
}

function switchBack(phase: string, samples: readonly Sample[], timeline: readonly { phase: string; at: number }[], switchStart: number, b: RunBounds): SwitchBackFigures {
  const back = timeline.find((s) => named(s.phase, phase) && s.at >= switchStart) ?? null
  return {
    phase: back?.phase ?? null,
    startMs: back && Math.round(back.at - b.origin),
    afterSwitchMs: back && Math.round(back.at - switchStart),
    // Each client's first request starts before the load's start is read: the whole run is every sample.
    requests: { wholeRun: countsBetween(samples, -Infinity, Infinity), switchToSwitchBack: countsBetween(samples, switchStart, back?.at ?? Infinity) },
  }
}

/** None when the plan asks for none: a run may measure the load alone. */
function slowRequests(target: RunTarget, plan: LoadPlan, now: Clock): SlowRequests {
  if (plan.slowRequests === 0) return { sentAt: now(), settled: Promise.resolve([]) }
  return startSlowRequests({ url: target.url, count: plan.slowRequests, holdMs: plan.slowHoldMs, token: target.token, now })
}

/** `drain x` names the phase `drain x (docker stop ...)` but not `drain x-candidate`. */
function named(phase: string, name: string): boolean {
  return phase === name || phase.startsWith(`${name} `)
}
