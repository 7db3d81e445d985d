// The figures of one measured run, computed from the recorded samples. Pure: no clock, no I/O.
import type { Sample } from './load.ts'

/** Times in ms on the run's clock: when the load started and stopped, and when the change started. */
export interface RunBounds {
  loadStart: number
  loadStop: number
  /** The upgrade or the replace was called: figures give times relative to this. */
  origin: number
}

export interface RequestFigures {
  total: number
  ok: number
  failed: number
  /** Failures by error code (ECONNREFUSED, UND_ERR_SOCKET, ...) or HTTP status. */
  failedBy: Record<string, number>
  loadDurationMs: number
  perSecond: number
  okPerSecond: number
  /** Of the successful requests. */
  latencyMs: { p50: number; p99: number; max: number }
}

export interface OutageWindow {
  ms: number
  /** The last successful completion before it, relative to the origin. */
  fromMs: number
  /** The first successful completion after it, relative to the origin. */
  toMs: number
  /** It is bounded by the load's start or stop instead of a success: no answer came on that side. */
  openEnded: boolean
  /** Requests that started inside the window, by outcome. */
  requestsInside: Record<string, number>
}

export const isOk = (s: Sample) => typeof s.outcome === 'number' && s.outcome >= 200 && s.outcome < 300

export function requestFigures(samples: readonly Sample[], b: RunBounds): RequestFigures {
  const ok = samples.filter(isOk)
  const seconds = (b.loadStop - b.loadStart) / 1000
  const latencies = ok.map((s) => s.end - s.start).sort((x, y) => x - y)
  return {
    total: samples.length,
    ok: ok.length,
    failed: samples.length - ok.length,
    failedBy: countBy(samples.filter((s) => !isOk(s))),
    loadDurationMs: round(b.loadStop - b.loadStart),
    perSecond: round(samples.length / seconds),
    okPerSecond: round(ok.length / seconds),
    latencyMs: { p50: round(percentile(latencies, 0.5)), p99: round(percentile(latencies, 0.99)), max: round(latencies.at(-1) ?? 0) },
  }
}

/**
 * The longest time in which no client got a successful answer: the largest gap between consecutive
 * successful completions (sorted end times), i.e. from the last success before an outage to the
 * first success after it. The load's start and stop bound the first and last gap.
 */
export function longestWindowWithoutSuccess(samples: readonly Sample[], b: RunBounds): OutageWindow {
  const ends = samples.filter(isOk).map((s) => s.end).sort((x, y) => x - y)
  const points = [b.loadStart, ...ends, b.loadStop]
  let from = points[0]!
  let to = points[1]!
  for (let i = 1; i < points.length; i++) {
    if (points[i]! - points[i - 1]! > to - from) [from, to] = [points[i - 1]!, points[i]!]
  }
  const openEnded = ends.length === 0 || from === b.loadStart || to === b.loadStop
  return {
    ms: round(to - from),
    fromMs: round(from - b.origin),
    toMs: round(to - b.origin),
    openEnded,
    requestsInside: countBy(samples.filter((s) => s.start >= from && s.start < to), true),
  }
}

/** A phase of the change on the run's clock; `end` is null when it never ended. */
export interface Span {
  phase: string
  start: number
  end: number | null
}

/**
 * Failed requests by the phase of the change in which they started: where the outage is. Phases do
 * not overlap; a request outside every phase counts as before, between or after them.
 */
export function failuresByPhase(samples: readonly Sample[], spans: readonly Span[], changeEnd: number): Record<string, Record<string, number>> {
  const byPhase: Record<string, Record<string, number>> = {}
  for (const s of samples) {
    if (isOk(s)) continue
    const span = spans.findLast((p) => p.start <= s.start && (p.end === null || s.start < p.end))
    const where = span?.phase ?? (s.start < (spans[0]?.start ?? changeEnd) ? '(before the change)' : s.start >= changeEnd ? '(after the change)' : '(between phases)')
    const counts = (byPhase[where] ??= {})
    counts[String(s.outcome)] = (counts[String(s.outcome)] ?? 0) + 1
  }
  return byPhase
}

export interface SlowFigures {
  sent: number
  holdMs: number
  /** How long before the switch started they were sent. */
  sentBeforeSwitchMs: number
  inFlightAtSwitchStart: number
  ok: number
  /** Not answered 200, by error code or status. */
  lost: number
  lostBy: Record<string, number>
  /** Of each request, start to end. */
  durationsMs: number[]
}

/** What the clients of one path got. */
export interface PathCounts {
  requests: number
  /** Answered with a 5xx status. */
  status5xx: number
  /** Any other outcome but 2xx: another status, or an error code. */
  otherFailed: number
  /** 5xx in % of the requests (two decimals); null with no request. */
  percent5xx: number | null
}

/** The key of all paths together: no path is named without its leading slash. */
export const allPaths = 'all'

/** The requests that started in [from, to), by path and for all paths together. */
export function countsBetween(samples: readonly Sample[], from: number, to: number): Record<string, PathCounts> {
  const counts: Record<string, PathCounts> = { [allPaths]: noRequests() }
  for (const s of samples) {
    if (s.start < from || s.start >= to) continue
    for (const c of [counts[allPaths]!, (counts[s.path] ??= noRequests())]) {
      c.requests++
      if (typeof s.outcome === 'number' && s.outcome >= 500 && s.outcome < 600) c.status5xx++
      else if (!isOk(s)) c.otherFailed++
    }
  }
  for (const c of Object.values(counts)) c.percent5xx = c.requests ? round((100 * c.status5xx) / c.requests) : null
  return counts
}

const noRequests = (): PathCounts => ({ requests: 0, status5xx: 0, otherFailed: 0, percent5xx: null })

/** The held requests against the moment the switch started (the drain in direct mode, the front's switch behind it). */
export function slowFigures(samples: readonly Sample[], holdMs: number, sentAt: number, switchStart: number): SlowFigures {
  const lost = samples.filter((s) => s.outcome !== 200)
  return {
    sent: samples.length,
    holdMs,
    sentBeforeSwitchMs: round(switchStart - sentAt),
    inFlightAtSwitchStart: samples.filter((s) => s.start <= switchStart && s.end > switchStart).length,
    ok: samples.length - lost.length,
    lost: lost.length,
    lostBy: countBy(lost),
    durationsMs: samples.map((s) => round(s.end - s.start)).sort((x, y) => x - y),
  }
}

/** One GET /api/version through prod's port: the build it named, or null for an error or another status. */
export interface BuildPoll {
  start: number
  end: number
  buildId: string | null
}

/**
 * From `from` (the candidate proven) to the end of the first poll answered at or after it that names
 * `buildId`: when prod's port serves the new build, as a client polling it sees. Null if none did.
 */
export function timeToBuild(polls: readonly BuildPoll[], buildId: string, from: number): number | null {
  const ends = polls.filter((p) => p.buildId === buildId && p.end >= from).map((p) => p.end)
  return ends.length ? round(Math.min(...ends) - from) : null
}

/** What the front's hop adds to the latency of the same requests when nothing changes: front minus direct. */
export function hopPrice(direct: RequestFigures['latencyMs'], front: RequestFigures['latencyMs']): { p50Ms: number; p99Ms: number } {
  return { p50Ms: round(front.p50 - direct.p50), p99Ms: round(front.p99 - direct.p99) }
}

function countBy(samples: readonly Sample[], includeOk = false): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const s of samples) {
    if (!includeOk && isOk(s)) continue
    const key = String(s.outcome)
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** Nearest rank: the smallest value with at least a fraction `p` of all values at or below it; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

/** Whole ms and two decimals for rates: enough for a benchmark, and readable JSON. */
function round(n: number): number {
  return Math.round(n * 100) / 100
}
