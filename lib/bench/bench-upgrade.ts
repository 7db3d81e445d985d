// npm run bench:upgrade: what an upgrade costs the clients of prod, three ways under the same load in
// one invocation: A, the upgrade through the front (SF_VEGA_FRONT=haproxy); B, the upgrade in direct
// mode; C, a naive replace, the baseline. And the price of the front's hop when nothing changes. Then
// D-G, upgrades judged by their traffic under a site's users (judged.ts). Each mode has its own per-run
// prod. It measures and records; it asserts no times.
import { engineAnswers } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { DockerError } from '../errors.ts'
import type { Progress } from '../progress.ts'
import { activeSlot, readSlots } from '../front/runtime-api.ts'
import { frontPaths } from '../front/setup.ts'
import { candidateName } from '../front/site.ts'
import { slotPort } from '../front/swap.ts'
import type { HistoryEntry } from '../vega/history.ts'
import { upgradeVega } from '../vega/upgrade.ts'
import { vegaContext } from '../vega/context.ts'
import { frontSite } from '../vega/front-site.ts'
import { BenchError } from './errors.ts'
import { hopPrice } from './figures.ts'
import { judgedRows, type JudgedRows } from './judged.ts'
import { untilHeld, type Route } from './load.ts'
import { measureRun, type LoadPlan, type RunFigures } from './measure.ts'
import { judgedMethod, upgradeMethod } from './method.ts'
import { currentProdSpec, naiveReplace } from './naive.ts'
import { withProd, type Prod } from './prod.ts'
import { machine, writeResult } from './record.ts'
import { measureSteady, type SteadyFigures } from './steady.ts'

export interface BenchOptions {
  root: string
  env: Env
  progress: Progress
  clients: number
  slowRequests: number
  slowHoldMs: number
  /** Each steady run (nothing changes) lasts this long. */
  steadySeconds: number
  /** Where the JSON goes. */
  resultsDir: string
  signal?: AbortSignal
}

export const benchDefaults = { clients: 8, slowRequests: 4, slowHoldMs: 3000, steadySeconds: 10 } as const

/** Fixed parts of the method; the options fill in the rest. */
export const fixedPlan = {
  pauseMs: 0,
  errorPauseMs: 10,
  timeoutMs: 10_000,
  leadMs: 2000,
  tailMs: 2000,
  minRequests: 5000,
  maxExtraMs: 60_000,
  pollIntervalMs: 10,
} as const
/** The load of the runs that measure a change's gap: every client on /api/healthz, which only the server answers. */
export const probeRoutes = (clients: number): Route[] => [{ path: '/api/healthz', clients }]
const probeDeadlineMs = 90_000
const settleMs = 5000

type Upgraded = { outcome: string; from: HistoryEntry['from']; to: HistoryEntry['to'] } | null

export interface BenchResult {
  benchmark: 'upgrade'
  at: string
  machine: Record<string, unknown>
  method: Record<string, unknown>
  /** What runs A and B upgraded from and to. */
  upgrades: { front: Upgraded; direct: Upgraded }
  runs: { front: RunFigures; direct: RunFigures; naiveReplace: RunFigures }
  /** Nothing changes: the same load through the front, straight to the same server, and to a direct-mode prod. */
  steady: { throughFront: SteadyFigures; sameServerDirect: SteadyFigures; directMode: SteadyFigures; hopPriceMs: { p50Ms: number; p99Ms: number } }
  /** Behind the front, under the users' load: a bad release without and with canary steps, a good one likewise. */
  analysis: JudgedRows
}

export async function benchUpgrade(o: BenchOptions): Promise<{ file: string; result: BenchResult }> {
  const { progress } = o
  const engine = await engineAnswers(o.env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const at = new Date()
  // Read now: its load average is the one at the start.
  const host = machine(engine.version)
  const plan: LoadPlan = { ...fixedPlan, routes: probeRoutes(o.clients), slowRequests: o.slowRequests, slowHoldMs: o.slowHoldMs }

  const front = await withProd(o, 'front', async (prod) => {
    const steady = await steadyBehindFront(prod, plan, o)
    const upgrade = await upgradeRun(prod, plan, o, 'A', 'through the front')
    return { steady, ...upgrade }
  })
  const direct = await withProd(o, 'direct', async (prod) => {
    let done = progress.phase(`steady: ${o.steadySeconds}s of load on the direct-mode ${prod.sandbox.url}`)
    const steady = await measureSteady(prod.sandbox.url, 'direct mode: the server container publishes the port', plan, o.steadySeconds)
    done(latency(steady))
    const upgrade = await upgradeRun(prod, plan, o, 'B', 'in direct mode')
    done = progress.phase(`run C: naive replace of ${prod.sandbox.name} under load`)
    const spec = await currentProdSpec(prod.ctx)
    const naive = await measureRun(prod.target, plan, {
      switchPhase: `drain ${prod.sandbox.name}`,
      prepare: async ({ sendSlow }) => {
        sendSlow()
        await untilHeld(prod.target.url, prod.target.token, plan.slowRequests, 5000)
      },
      run: ({ report }) => naiveReplace(spec, { env: prod.sandbox.env, progress: report, url: prod.target.url, readyDeadlineMs: probeDeadlineMs }),
    })
    done(outcome(naive))
    return { steady, ...upgrade, naive, stopTimeSeconds: prod.ctx.config.SF_VEGA_DRAIN_STOP_TIME }
  })
  const analysis = await judgedRows(o)

  const result: BenchResult = {
    benchmark: 'upgrade',
    at: at.toISOString(),
    machine: host,
    method: { ...upgradeMethod(plan, { stopTimeSeconds: direct.stopTimeSeconds, settleMs, probeDeadlineMs, steadySeconds: o.steadySeconds }), analysis: judgedMethod() },
    upgrades: { front: front.upgraded, direct: direct.upgraded },
    runs: { front: front.run, direct: direct.run, naiveReplace: direct.naive },
    steady: {
      throughFront: front.steady.throughFront,
      sameServerDirect: front.steady.sameServerDirect,
      directMode: direct.steady,
      hopPriceMs: hopPrice(front.steady.sameServerDirect.requests.latencyMs, front.steady.throughFront.requests.latencyMs),
    },
    analysis,
  }
  return { file: await writeResult(o.resultsDir, 'upgrade', at, result), result }
}

/** The same server, once through the front and once on its own loopback probe port: only the hop differs. */
async function steadyBehindFront(prod: Prod, plan: LoadPlan, o: BenchOptions) {
  const slot = activeSlot(await readSlots(frontPaths(frontSite(prod.ctx)).socket))
  if (!slot) throw new BenchError(`the front of ${prod.sandbox.name} has no active slot after docker:vega:up`)
  const serverUrl = `http://127.0.0.1:${slotPort(prod.sandbox.port, slot)}`
  let done = o.progress.phase(`steady: ${o.steadySeconds}s of load through the front ${prod.sandbox.url}`)
  const throughFront = await measureSteady(prod.sandbox.url, 'through the front: HAProxy, then the server on the private network', plan, o.steadySeconds)
  done(latency(throughFront))
  done = o.progress.phase(`steady: ${o.steadySeconds}s of load straight to the same server on ${serverUrl}`)
  const sameServerDirect = await measureSteady(serverUrl, `the same server on its slot ${slot} probe port, no front`, plan, o.steadySeconds)
  done(latency(sameServerDirect))
  return { throughFront, sameServerDirect }
}

/**
 * upgradeVega (what npm run docker:vega:upgrade runs) under load. The slow requests go out when the
 * candidate has started, before its probes: behind the front only the old slot takes requests then
 * (from the end of the probes, the switch makes both slots ready for a moment, and they could land on
 * the new one), and the probes give them time to reach the old server before the switch.
 */
async function upgradeRun(prod: Prod, plan: LoadPlan, o: BenchOptions, label: string, how: string): Promise<{ run: RunFigures; upgraded: Upgraded }> {
  const { sandbox } = prod
  const behindFront = sandbox.mode === 'front'
  const done = o.progress.phase(`run ${label}: upgrade ${sandbox.name} ${how} under load`)
  let history: HistoryEntry | null = null
  const run = await measureRun(prod.target, plan, {
    switchPhase: behindFront ? 'switch the front to slot' : `drain ${sandbox.name}`,
    sendSlowAfterPhase: `start ${candidateName(sandbox.name)}`,
    proven: {
      phase: `probe ${candidateName(sandbox.name)}`,
      newBuild: () => history?.to?.buildId ?? null,
      servingPhase: behindFront ? 'switch the front to slot' : `probe ${sandbox.name}`,
    },
    run: async ({ report }) => {
      const ctx = { ...vegaContext(o.root, sandbox.env, report), progress: report }
      history = await upgradeVega(ctx, { dryRun: false, lockWaitMs: 0, probeDeadlineMs, settleMs, canary: [], stepMs: 0, command: 'bench' })
    },
  })
  done(outcome(run))
  const entry = history as HistoryEntry | null
  return { run, upgraded: entry && { outcome: entry.outcome, from: entry.from, to: entry.to } }
}

function latency(s: SteadyFigures): string {
  return `${s.requests.total} requests, ${s.requests.failed} failed, p50 ${s.requests.latencyMs.p50} ms, p99 ${s.requests.latencyMs.p99} ms`
}

function outcome(r: RunFigures): string {
  const served = r.provenToServing?.polledMs
  return `${r.requests.failed} of ${r.requests.total} failed, longest window without a success ${r.longestWindowWithoutSuccess.ms} ms${served === undefined ? '' : `, proven to serving ${served ?? '?'} ms`}`
}
