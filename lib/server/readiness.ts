// Readiness hooks: cheap, idempotent recovery work that runs on every /api/ready call (for example,
// picking up work a killed predecessor left behind). A hook that throws makes the server not ready.
import { processDrain, type Drain } from './drain.ts'

export type ReadinessHook = () => void | Promise<void>

export interface ReadinessResult {
  ready: boolean
  /** Why not ready: starting, draining, or the first hook that failed. */
  reason: string | null
  hooks: { name: string; ok: boolean; error?: string; ms: number }[]
}

interface ReadinessState {
  started: boolean
  hooks: Map<string, ReadinessHook>
}

const key = Symbol.for('sf.readiness')

function state(): ReadinessState {
  const g = globalThis as { [key]?: ReadinessState }
  g[key] ??= { started: false, hooks: new Map() }
  return g[key]
}

export function registerReadinessHook(name: string, hook: ReadinessHook): void {
  state().hooks.set(name, hook)
}

/** Called once the server has finished starting (instrumentation ran). */
export function markStarted(): void {
  state().started = true
}

export async function checkReadiness(drain: Drain = processDrain()): Promise<ReadinessResult> {
  const s = state()
  if (!s.started) return { ready: false, reason: 'starting', hooks: [] }
  const draining = drain.snapshot()
  if (draining.phase === 'draining') return { ready: false, reason: `draining (${draining.reason})`, hooks: [] }
  const hooks: ReadinessResult['hooks'] = []
  for (const [name, hook] of s.hooks) {
    const started = performance.now()
    try {
      await hook()
      hooks.push({ name, ok: true, ms: Math.round(performance.now() - started) })
    } catch (error) {
      hooks.push({ name, ok: false, error: (error as Error).message, ms: Math.round(performance.now() - started) })
    }
  }
  const failed = hooks.find((h) => !h.ok)
  return { ready: !failed, reason: failed ? `readiness hook ${failed.name} failed: ${failed.error}` : null, hooks }
}
