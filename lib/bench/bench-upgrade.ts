// npm run bench:upgrade: what an upgrade costs the clients of prod, against a naive replace. A per-run
// prod is brought up, then upgraded blue/green under load (run A), then replaced naively under the
// same load (run B, the baseline). It measures and records; it asserts no times.
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { engineAnswers } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { DockerError } from '../errors.ts'
import type { Progress } from '../progress.ts'
import type { HistoryEntry } from '../vega/history.ts'
import { candidateName } from '../vega/container.ts'
import { upgradeVega } from '../vega/upgrade.ts'
import { vegaContext } from '../vega/context.ts'
import { vegaUp } from '../vega/up.ts'
import { BenchError } from './errors.ts'
import { holdPath, untilHeld } from './load.ts'
import { measureRun, type LoadPlan, type RunFigures } from './measure.ts'
import { currentProdSpec, naiveReplace } from './naive.ts'
import { createSandbox } from './sandbox.ts'

export interface BenchOptions {
  root: string
  env: Env
  progress: Progress
  clients: number
  slowRequests: number
  slowHoldMs: number
  /** Where the JSON goes. */
  resultsDir: string
  /** Interrupts the run: what it made is removed at once, and again when the step under way ends. */
  signal?: AbortSignal
}

export const benchDefaults = { clients: 8, slowRequests: 4, slowHoldMs: 3000 } as const

/** Fixed parts of the method; the options fill in the rest. */
const fixed = { path: '/api/healthz', errorPauseMs: 10, timeoutMs: 10_000, leadMs: 2000, tailMs: 2000, probeDeadlineMs: 90_000 } as const

export interface BenchResult {
  benchmark: 'upgrade'
  at: string
  machine: Record<string, unknown>
  method: Record<string, unknown>
  /** What run A upgraded from and to. */
  upgrade: { outcome: string; from: HistoryEntry['from']; to: HistoryEntry['to'] } | null
  runs: { upgrade: RunFigures; naiveReplace: RunFigures }
}

export async function benchUpgrade(o: BenchOptions): Promise<{ file: string; result: BenchResult }> {
  const { progress } = o
  const engine = await engineAnswers(o.env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const at = new Date()
  const sandbox = await createSandbox(o.env, progress)
  // Removing prod at once makes most steps under way fail fast; the finally removes what they made after.
  const interrupt = () => void sandbox.cleanup()
  o.signal?.addEventListener('abort', interrupt, { once: true })
  try {
    o.signal?.throwIfAborted()
    const ctx = vegaContext(o.root, sandbox.env, progress)
    await vegaUp(ctx)
    o.signal?.throwIfAborted()
    const target = { url: sandbox.url, name: sandbox.name, token: readAdminToken(sandbox.sfHome) }
    const plan: LoadPlan = { ...fixed, clients: o.clients, slowRequests: o.slowRequests, slowHoldMs: o.slowHoldMs }

    let done = progress.phase(`run A: upgrade ${sandbox.name} under load`)
    let history: HistoryEntry | null = null
    const upgrade = await measureRun(target, plan, {
      sendSlowAfterPhase: `probe ${candidateName(sandbox.name)}`,
      run: async ({ report }) => {
        const upgradeCtx = { ...vegaContext(o.root, sandbox.env, report), progress: report }
        history = await upgradeVega(upgradeCtx, { dryRun: false, lockWaitMs: 0, probeDeadlineMs: fixed.probeDeadlineMs, settleMs: 5000, command: 'bench' })
      },
    })
    done(`longest window without a successful answer ${upgrade.longestWindowWithoutSuccess.ms} ms`)
    o.signal?.throwIfAborted()

    done = progress.phase(`run B: naive replace of ${sandbox.name} under load`)
    const spec = await currentProdSpec(ctx)
    const naive = await measureRun(target, plan, {
      prepare: async ({ sendSlow }) => {
        sendSlow()
        await untilHeld(target.url, target.token, plan.slowRequests, 5000)
      },
      run: ({ report }) => naiveReplace(spec, { env: sandbox.env, progress: report, url: target.url, readyDeadlineMs: fixed.probeDeadlineMs }),
    })
    done(`longest window without a successful answer ${naive.longestWindowWithoutSuccess.ms} ms`)

    const entry = history as HistoryEntry | null
    const result: BenchResult = {
      benchmark: 'upgrade',
      at: at.toISOString(),
      machine: machine(engine.version),
      method: method(plan, ctx.config.SF_VEGA_DRAIN_STOP_TIME),
      upgrade: entry && { outcome: entry.outcome, from: entry.from, to: entry.to },
      runs: { upgrade, naiveReplace: naive },
    }
    const file = path.join(o.resultsDir, `upgrade-${stamp(at)}.json`)
    await fs.mkdir(o.resultsDir, { recursive: true })
    await fs.writeFile(file, JSON.stringify(result, null, 2) + '\n')
    return { file, result }
  } finally {
    o.signal?.removeEventListener('abort', interrupt)
    const done = progress.phase(`remove ${sandbox.name}, its candidate, image and folders`)
    await sandbox.cleanup()
    done()
  }
}

function readAdminToken(sfHome: string): string {
  const file = path.join(sfHome, 'admin-token')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (error) {
    throw new BenchError(`cannot read the admin token the server writes on first start (${(error as Error).message}): the slow requests to /api/hold need it`)
  }
}

function machine(dockerVersion: string): Record<string, unknown> {
  const cpus = os.cpus()
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    dockerEngine: dockerVersion,
  }
}

function method(plan: LoadPlan, stopTimeSeconds: number): Record<string, unknown> {
  return {
    load: {
      clients: plan.clients,
      connection: 'one undici Client per client: one keep-alive connection, no pipelining, reopened after a close or an error',
      request: `GET ${plan.path}`,
      pacing: `each client sends its next request as soon as the previous one is answered; after an error it pauses ${plan.errorPauseMs} ms`,
      timeoutMs: plan.timeoutMs,
      runsBeforeMs: plan.leadMs,
      runsAfterMs: plan.tailMs,
    },
    slowRequests: {
      count: plan.slowRequests,
      request: `GET ${holdPath(plan.slowHoldMs)} (admin), held open ${plan.slowHoldMs} ms as registered work`,
      sentInUpgrade: 'when the phase "probe <name>-candidate" ends; the drain starts right after',
      sentInNaiveReplace: 'just before docker stop, once GET /api/drain counts them as held requests',
      lost: 'any answer other than 200, or an error',
    },
    longestWindowWithoutSuccess:
      'the largest gap between consecutive successful (2xx) completions of the load, from their sorted end times: from the last success before an outage to the first success after it; the load\'s start and stop bound the first and last gap',
    requestRate: 'requests of every outcome divided by the time the load ran (before + during + after the change)',
    upgrade: `upgradeVega with dryRun false, lockWaitMs 0, probeDeadlineMs ${fixed.probeDeadlineMs}: build a new release, start and probe the candidate on port+1, drain prod with docker stop --time ${stopTimeSeconds}, start the new prod, probe it`,
    naiveReplace: `docker stop --time ${stopTimeSeconds}, docker rm, docker run of the same container spec on the image id it ran, then poll /api/ready`,
    wallClock: 'from the call of the upgrade or the replace to its return',
  }
}

/** 20250102T030405Z: ISO 8601 basic, safe in a file name. */
function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}
