// Judging a new release by what its users got, as Argo Rollouts' analysis and Flagger do: the share of
// 5xx answers, the connection and response errors the front counted, and the response time, each
// against the old server's figures (its baseline) and a limit. Too few requests to judge: the verdict
// rests on the probes and says so. Pure: the counting is done by the caller (lib/front/traffic.ts, the
// front's counters).
import { z } from 'zod'
import type { Slot } from './definition.ts'
import type { Request } from './traffic.ts'

export interface Rules {
  /** The new server fails when more than this share of its answers are 5xx, and more than the baseline's. */
  max5xxPercent: number
  /** … or when its p95 response time is over this factor of the baseline's … */
  latencyFactor: number
  /** … and over this floor, so a fast route that got a little slower is not a failure. */
  latencyFloorMs: number
  /** Fewer requests than this to the new server: no verdict from the numbers; to the old one: no baseline. */
  minRequests: number
  /** How far back the old server's baseline reaches before the switch. */
  baselineSeconds: number
}

/** The rules as the SF_ANALYSIS_* variables set them (lib/env-variables.ts). */
export function analysisRules(c: { SF_ANALYSIS_MAX_5XX_PERCENT: number; SF_ANALYSIS_LATENCY_FACTOR: number; SF_ANALYSIS_LATENCY_FLOOR_MS: number; SF_ANALYSIS_MIN_REQUESTS: number; SF_ANALYSIS_BASELINE_SECONDS: number }): Rules {
  return {
    max5xxPercent: c.SF_ANALYSIS_MAX_5XX_PERCENT,
    latencyFactor: c.SF_ANALYSIS_LATENCY_FACTOR,
    latencyFloorMs: c.SF_ANALYSIS_LATENCY_FLOOR_MS,
    minRequests: c.SF_ANALYSIS_MIN_REQUESTS,
    baselineSeconds: c.SF_ANALYSIS_BASELINE_SECONDS,
  }
}

export const figuresSchema = z.object({
  requests: z.number().describe('Requests answered, the probes left out.'),
  errors5xx: z.number().describe('Of them, answered 5xx (by the server or by the front on its behalf).'),
  errors: z.number().describe('Connection and response errors the front counted against the server.'),
  p50Ms: z.number().nullable().describe('Median time to the answer\'s start, in ms; null with no timed answer.'),
  p95Ms: z.number().nullable(),
})
export type Figures = z.infer<typeof figuresSchema>

export const verdictSchema = z.object({
  stage: z.string().describe('"canary 10%", or "settle" once the new server takes all requests.'),
  share: z.number().describe('The new server\'s share of requests in %.'),
  decision: z.enum(['pass', 'fail', 'inconclusive']),
  rule: z.enum(['5xx', 'errors', 'latency', 'probes']).nullable().describe('The rule that decided; probes when the numbers could not.'),
  reason: z.string(),
  old: figuresSchema.nullable().describe('The old server: beside the new one in a canary step, before the switch otherwise.'),
  new: figuresSchema,
})
export type Verdict = z.infer<typeof verdictSchema>

/** The figures of `slot`'s requests in `requests`, with `errors` from the front's counters. */
export function figuresOf(requests: readonly Request[], slot: Slot, errors: number): Figures {
  const mine = requests.filter((r) => r.slot === slot)
  const times = mine.flatMap((r) => (r.ms === null ? [] : [r.ms])).sort((a, b) => a - b)
  return {
    requests: mine.length,
    errors5xx: mine.filter((r) => r.status >= 500).length,
    errors,
    p50Ms: percentile(times, 50),
    p95Ms: percentile(times, 95),
  }
}

/** The nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!
}

const percentOf = (f: Figures) => (f.requests ? (100 * f.errors5xx) / f.requests : 0)
const shownPercent = (value: number) => `${Number(value.toFixed(1))}%`

/** One line of figures, as the outcome and status show them. */
export function describeFigures(f: Figures): string {
  const time = f.p95Ms === null ? 'no timed answer' : `p50 ${f.p50Ms} ms, p95 ${f.p95Ms} ms`
  const errors = f.errors ? `, ${f.errors} connection/response error(s)` : ''
  return `${f.requests} request${f.requests === 1 ? '' : 's'}, ${f.errors5xx} 5xx (${shownPercent(percentOf(f))}), ${time}${errors}`
}

/** A verdict as people read it: what decided, then the numbers of old and new. */
export function describeVerdict(v: Verdict): string[] {
  return [
    `${v.stage}: ${v.decision}${v.rule ? ` (${v.rule})` : ''}: ${v.reason}`,
    `  old: ${v.old ? describeFigures(v.old) : 'no figures'}`,
    `  new: ${describeFigures(v.new)}`,
  ]
}

/**
 * Before a stage ends, latency is judged only over this many times the minimum of requests: a new
 * process answers its first requests slowly (Next loads each route on its first request, V8 has not
 * compiled the hot paths yet), and a small sample's p95 is those first requests.
 */
export const earlyLatencyFactor = 5

/**
 * The verdict on the new server from its figures and the old one's. `final`: the stage is over, so too
 * few requests make it inconclusive; before that, only a failure is final and too few requests pass for
 * now. Connection and response errors fail it whatever the count: the front saw the server break.
 */
export function judge(stage: { stage: string; share: number }, old: Figures | null, now: Figures, rules: Rules, final: boolean): Verdict {
  const verdict = (decision: Verdict['decision'], rule: Verdict['rule'], reason: string): Verdict => ({ ...stage, decision, rule, reason, old, new: now })
  if (now.errors > 0) return verdict('fail', 'errors', `the front counted ${now.errors} connection or response error(s) against the new server`)
  if (now.requests < rules.minRequests) {
    const reason = `inconclusive: ${now.requests} request${now.requests === 1 ? '' : 's'} (fewer than ${rules.minRequests}); the probes decided`
    return verdict(final ? 'inconclusive' : 'pass', 'probes', reason)
  }
  // A baseline of too few requests is no baseline: 0% 5xx, and no time to compare with.
  const baseline = old && old.requests >= rules.minRequests ? old : null
  const newPercent = percentOf(now)
  const oldPercent = baseline ? percentOf(baseline) : 0
  if (newPercent > rules.max5xxPercent && newPercent > oldPercent) {
    return verdict('fail', '5xx', `${shownPercent(newPercent)} of the new server's ${now.requests} answers were 5xx (limit ${rules.max5xxPercent}%, old server ${baseline ? shownPercent(oldPercent) : 'no baseline'})`)
  }
  const latencyJudged = final || now.requests >= earlyLatencyFactor * rules.minRequests
  const slower = latencyJudged && baseline ? slowerPercentile(baseline, now, rules) : null
  if (slower) return verdict('fail', 'latency', slower)
  const against = baseline ? `against the old server's ${baseline.requests}` : 'with no baseline from the old server (too few requests): 5xx judged against the limit alone, latency not judged'
  return verdict('pass', null, `${now.requests} requests, ${shownPercent(newPercent)} 5xx, p50 ${now.p50Ms ?? '-'} ms, p95 ${now.p95Ms ?? '-'} ms, ${against}`)
}

/**
 * Why the new server is slower than the rules allow, or null: its p95 or its median over the factor of
 * the old server's and over the floor. The p95 finds a slow tail; the median a release slower across the
 * board, which a busy machine's tail can hide.
 */
function slowerPercentile(old: Figures, now: Figures, rules: Rules): string | null {
  for (const [name, key] of [['p95', 'p95Ms'], ['p50', 'p50Ms']] as const) {
    const [was, is] = [old[key], now[key]]
    if (was !== null && is !== null && is > rules.latencyFactor * was && is > rules.latencyFloorMs) {
      return `the new server's ${name} is ${is} ms, over ${rules.latencyFactor} x the old server's ${was} ms and over ${rules.latencyFloorMs} ms`
    }
  }
  return null
}
