// The clients of prod during a benchmark run: keep-alive clients that ask as fast as answers come,
// and a few slow held requests that must be in flight when the drain starts. Every request is
// recorded with its start, its end and its outcome; the figures are computed from those afterwards.
import { Client, Pool } from 'undici'
import type { DrainSnapshot } from '../server/drain.ts'
import { waitFor } from '../probe.ts'
import type { BuildPoll } from './figures.ts'

/** One request: times in ms on the run's clock, outcome an HTTP status or an error code. */
export interface Sample {
  path: string
  start: number
  end: number
  outcome: number | string
}

export type Clock = () => number

export interface LoadOptions {
  /** Origin of prod, e.g. http://127.0.0.1:4000. */
  url: string
  clients: number
  path: string
  /** Pause of one client after an error, so a refused port is not hammered in a busy loop. */
  errorPauseMs: number
  /** Longest wait for the answer's headers, and then for its body. */
  timeoutMs: number
  now: Clock
  /** A client's pause after each answer, as a person between clicks; none: as fast as answers come. */
  pauseMs?: number
}

export interface Load {
  /** Requests answered or failed so far. */
  count(): number
  /** Stop every client after its current request; resolves with all samples, in no order. */
  stop(): Promise<Sample[]>
}

/** Some of the clients, and the path each of them asks for again and again. */
export interface Route {
  path: string
  clients: number
}

/** The clients of every route at once, as one load: the samples say which path each request asked for. */
export function startRoutes(o: Omit<LoadOptions, 'clients' | 'path'> & { routes: readonly Route[] }): Load {
  const loads = o.routes.map((r) => startLoad({ ...o, path: r.path, clients: r.clients }))
  return {
    count: () => loads.reduce((sum, l) => sum + l.count(), 0),
    stop: async () => (await Promise.all(loads.map((l) => l.stop()))).flat(),
  }
}

/** Start `clients` loops, each on its own keep-alive connection (reopened after a close or an error). */
export function startLoad(o: LoadOptions): Load {
  const samples: Sample[] = []
  let stopped = false
  const clients = Array.from({ length: o.clients }, () => new Client(o.url, { pipelining: 1, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs }))
  const loops = clients.map(async (client) => {
    while (!stopped) {
      const sample = await timedGet(client, o.path, {}, o.now)
      samples.push(sample)
      if (typeof sample.outcome === 'string') await sleep(o.errorPauseMs)
      else if (o.pauseMs) await sleep(o.pauseMs)
    }
  })
  return {
    count: () => samples.length,
    async stop() {
      stopped = true
      await Promise.all(loops)
      await Promise.all(clients.map((c) => c.close().catch(() => c.destroy())))
      return samples
    },
  }
}

export interface SlowOptions {
  url: string
  count: number
  holdMs: number
  /** The admin token /api/hold requires. */
  token: string
  now: Clock
}

export interface SlowRequests {
  /** When they were sent, on the run's clock. */
  sentAt: number
  /** Every request's sample, once all have ended. */
  settled: Promise<Sample[]>
}

export function holdPath(ms: number): string {
  return `/api/hold?ms=${ms}`
}

/** Send `count` held requests at once, each on its own connection. */
export function startSlowRequests(o: SlowOptions): SlowRequests {
  const timeoutMs = o.holdMs + 30_000
  const pool = new Pool(o.url, { connections: o.count, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  const sentAt = o.now()
  const headers = { authorization: `Bearer ${o.token}` }
  const settled = Promise.all(Array.from({ length: o.count }, () => timedGet(pool, holdPath(o.holdMs), headers, o.now))).finally(() =>
    pool.close().catch(() => pool.destroy()),
  )
  return { sentAt, settled }
}

/** Wait until the server counts `count` held requests as running work (GET /api/drain). */
export async function untilHeld(url: string, token: string, count: number, deadlineMs: number): Promise<void> {
  await waitFor(`${url}/api/drain`, {
    deadlineMs,
    headers: { authorization: `Bearer ${token}` },
    accept: (a) => a.status === 200 && ((a.json as DrainSnapshot | undefined)?.active['held requests'] ?? 0) >= count,
    minIntervalMs: 10,
    maxIntervalMs: 50,
  })
}

export interface BuildPoller {
  /** Stop after the poll under way; resolves with every poll. */
  stop(): Promise<BuildPoll[]>
}

/**
 * Ask prod's port which build it serves, GET /api/version on one keep-alive connection, one request
 * after another with `intervalMs` between them: when the new build answers, as a client sees it.
 */
export function pollBuild(o: { url: string; intervalMs: number; timeoutMs: number; now: Clock }): BuildPoller {
  const polls: BuildPoll[] = []
  let stopped = false
  const client = new Client(o.url, { pipelining: 1, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs })
  const loop = (async () => {
    while (!stopped) {
      const start = o.now()
      let buildId: string | null = null
      try {
        const res = await client.request({ path: '/api/version', method: 'GET' })
        const body = (await res.body.json().catch(() => null)) as { manifest?: { webHost?: { buildId?: string } } } | null
        if (res.statusCode === 200) buildId = body?.manifest?.webHost?.buildId ?? null
      } catch {
        // Refused or cut while prod changes hands: a poll that named no build.
      }
      polls.push({ start, end: o.now(), buildId })
      await sleep(o.intervalMs)
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      await client.close().catch(() => client.destroy())
      return polls
    },
  }
}

async function timedGet(dispatcher: Client | Pool, path: string, headers: Record<string, string>, now: Clock): Promise<Sample> {
  const start = now()
  try {
    const res = await dispatcher.request({ path, method: 'GET', headers })
    await res.body.dump()
    return { path, start, end: now(), outcome: res.statusCode }
  } catch (error) {
    return { path, start, end: now(), outcome: errorCode(error) }
  }
}

/** ECONNREFUSED, UND_ERR_SOCKET (the other side closed), UND_ERR_HEADERS_TIMEOUT, ... */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } }
  if (typeof e.code === 'string') return e.code
  if (typeof e.cause?.code === 'string') return e.cause.code
  return typeof e.name === 'string' ? e.name : 'unknown error'
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
