// Whether the upgrade lock is held by a live process, for status and the server's upgrade endpoint:
// a holder that died is not "held", the next upgrade recovers its lock. A holder on this host is
// checked by its pid; one in an upgrader container a server started, by that container; one on the
// engine's host, from inside a container, by reading its /proc entry through the engine; any other
// (another host) cannot be checked and counts as live.
import os from 'node:os'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { aliveFromStat, holderAlive, readHolder, type LockHolder } from './lock.ts'

export type LockState =
  | { state: 'free' }
  | { state: 'held'; holder: LockHolder; /** False when liveness could not be checked from here. */ checked: boolean }
  | { state: 'stale'; holder: LockHolder; why: string }

/**
 * The engine's host as seen from a container: its name, and a way to read /proc/<pid>/stat there
 * (null: no such pid; a rejection: it could not be read, and the holder counts as live).
 */
export interface EngineHost {
  name: string
  stat(pid: number): Promise<string | null>
}

export async function lockState(file: string, env: Env, hostname = os.hostname(), engineHost: EngineHost | null = null): Promise<LockState> {
  const holder = await readHolder(file)
  if (!holder) return { state: 'free' }
  if (holder.host === hostname) {
    return holderAlive(holder) ? { state: 'held', holder, checked: true } : { state: 'stale', holder, why: `pid ${holder.pid} is gone` }
  }
  if (holder.container) {
    const container = await inspectContainer(holder.container, env)
    if (container?.running) return { state: 'held', holder, checked: true }
    return { state: 'stale', holder, why: `its upgrader container ${holder.container} ${container ? 'has exited' : 'is gone'}` }
  }
  if (engineHost && holder.host === engineHost.name) {
    const stat = await engineHost.stat(holder.pid).catch(() => undefined)
    if (stat !== undefined) {
      return aliveFromStat(stat, holder.pidStart) ? { state: 'held', holder, checked: true } : { state: 'stale', holder, why: `pid ${holder.pid} is gone on ${holder.host}` }
    }
  }
  return { state: 'held', holder, checked: false }
}

/** One line for people: who holds the lock, or that it is stale and what happens to it. */
export function describeLock(s: LockState): string {
  if (s.state === 'free') return 'no upgrade running'
  const h = s.holder
  const who = `pid ${h.pid} (${h.user}@${h.host}${h.container ? `, container ${h.container}` : ''}, ${h.command}) since ${h.since}`
  if (s.state === 'stale') return `lock stale: ${who} died holding it (${s.why})${describeRun(h, 'during')}; the next upgrade recovers it`
  return `upgrade running: ${who}${s.checked ? '' : ' (on another host or in another pid namespace: not checked from here)'}${describeRun(h, 'now in')}`
}

/** How far the holder's run got, as its lock records it: `, during <phase>, upgrading <from> -> <to>`. */
function describeRun(h: LockHolder, when: string): string {
  const run = h.run
  if (!run) return ''
  const commit = (side: typeof run.from) => side?.commit?.slice(0, 12) ?? '-'
  return `${run.current ? ` ${when} ${run.current}` : ''}, ${run.action === 'rollback' ? 'rolling back' : 'upgrading'} ${commit(run.from)} -> ${commit(run.to)}`
}
