// Whether the upgrade lock is held by a live process, for status and the server's upgrade endpoint:
// a holder that died is not "held", the next upgrade recovers its lock. A holder on this host is
// checked by its pid; one in an upgrader container a server started, by that container; any other
// (another host, or a pid namespace this process cannot see) cannot be checked and counts as live.
import os from 'node:os'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { holderAlive, readHolder, type LockHolder } from './lock.ts'

export type LockState =
  | { state: 'free' }
  | { state: 'held'; holder: LockHolder; /** False when liveness could not be checked from here. */ checked: boolean }
  | { state: 'stale'; holder: LockHolder; why: string }

export async function lockState(file: string, env: Env, hostname = os.hostname()): Promise<LockState> {
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
  return { state: 'held', holder, checked: false }
}

/** One line for people: who holds the lock, or that it is stale and what happens to it. */
export function describeLock(s: LockState): string {
  if (s.state === 'free') return 'no upgrade running'
  const h = s.holder
  const who = `pid ${h.pid} (${h.user}@${h.host}${h.container ? `, container ${h.container}` : ''}, ${h.command}) since ${h.since}`
  if (s.state === 'stale') return `lock stale: ${who} died holding it (${s.why}); the next upgrade recovers it`
  return `upgrade running: ${who}${s.checked ? '' : ' (on another host or in another pid namespace: not checked from here)'}`
}
