// Cooperative shutdown: work registers itself, a signal or /api/drain requests shutdown, and the
// process exits as soon as nothing is running. The state lives on globalThis because Next bundles
// each route on its own and every bundle must see the same drain.

export type DrainPhase = 'running' | 'draining'

export interface DrainSnapshot {
  phase: DrainPhase
  reason: string | null
  requestedAt: string | null
  /** Work still running, by participant name; only names with work are listed. */
  active: Record<string, number>
  total: number
}

export interface Drain {
  /** Count one unit of work under `name`; call the returned function when it ends (idempotent). */
  begin(name: string): () => void
  /** A participant that keeps its own count (a queue, a pool); polled while draining. */
  register(name: string, activeCount: () => number): () => void
  /** Stop taking new work: readiness turns 503 at once. Idempotent; the first reason wins. */
  requestShutdown(reason: string): void
  snapshot(): DrainSnapshot
  /** Resolves once draining and no work is left. */
  whenIdle(pollMs?: number): Promise<DrainSnapshot>
}

export function createDrain(now: () => Date = () => new Date()): Drain {
  const counts = new Map<string, number>()
  const participants = new Map<string, () => number>()
  const waiters = new Set<() => void>()
  let phase: DrainPhase = 'running'
  let reason: string | null = null
  let requestedAt: string | null = null

  const notify = () => {
    for (const wake of waiters) wake()
  }

  const snapshot = (): DrainSnapshot => {
    const active: Record<string, number> = {}
    for (const [name, n] of counts) if (n > 0) active[name] = n
    for (const [name, count] of participants) {
      const n = safeCount(count)
      if (n > 0) active[name] = (active[name] ?? 0) + n
    }
    const total = Object.values(active).reduce((a, b) => a + b, 0)
    return { phase, reason, requestedAt, active, total }
  }

  return {
    begin(name) {
      counts.set(name, (counts.get(name) ?? 0) + 1)
      let ended = false
      return () => {
        if (ended) return
        ended = true
        counts.set(name, (counts.get(name) ?? 1) - 1)
        notify()
      }
    },
    register(name, activeCount) {
      participants.set(name, activeCount)
      return () => {
        if (participants.get(name) === activeCount) participants.delete(name)
        notify()
      }
    },
    requestShutdown(why) {
      if (phase === 'draining') return
      phase = 'draining'
      reason = why
      requestedAt = now().toISOString()
      notify()
    },
    snapshot,
    whenIdle(pollMs = 100) {
      return new Promise((resolve) => {
        const check = () => {
          const s = snapshot()
          if (s.phase !== 'draining' || s.total > 0) return
          waiters.delete(check)
          clearInterval(timer)
          resolve(s)
        }
        // Registered participants keep their own counts, so they are polled as well as notified.
        // Not unref'd: whoever waits for the drain needs the process to live until it ends.
        const timer = setInterval(check, pollMs)
        waiters.add(check)
        check()
      })
    },
  }
}

function safeCount(count: () => number): number {
  try {
    const n = count()
    return Number.isFinite(n) && n > 0 ? n : 0
  } catch {
    return 0
  }
}

const key = Symbol.for('sf.drain')

/** The drain of this process. */
export function processDrain(): Drain {
  const g = globalThis as { [key]?: Drain }
  g[key] ??= createDrain()
  return g[key]
}
