// The price of the front's hop: the same load for the same time against an address while nothing
// changes, so latencies through the front and straight to a server can be set side by side.
import { longestWindowWithoutSuccess, requestFigures, type RequestFigures } from './figures.ts'
import { sleep, startRoutes } from './load.ts'
import type { LoadPlan } from './measure.ts'
import { loadAverage1m } from './record.ts'

export interface SteadyFigures {
  /** Where the load went, and what that address is. */
  url: string
  via: string
  seconds: number
  loadAverage: { before: number; after: number }
  requests: RequestFigures
  longestWindowWithoutSuccessMs: number
}

export async function measureSteady(url: string, via: string, plan: LoadPlan, seconds: number, now = () => performance.now()): Promise<SteadyFigures> {
  const before = loadAverage1m()
  const load = startRoutes({ url, routes: plan.routes, pauseMs: plan.pauseMs, errorPauseMs: plan.errorPauseMs, timeoutMs: plan.timeoutMs, now })
  const loadStart = now()
  await sleep(seconds * 1000)
  const samples = await load.stop()
  const bounds = { loadStart, loadStop: now(), origin: loadStart }
  return {
    url,
    via,
    seconds,
    loadAverage: { before, after: loadAverage1m() },
    requests: requestFigures(samples, bounds),
    longestWindowWithoutSuccessMs: longestWindowWithoutSuccess(samples, bounds).ms,
  }
}
