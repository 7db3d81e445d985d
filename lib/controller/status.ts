// npm run controller:status: what a host's controller reports (its state file), whether it runs (its
// container, or the holder of its lock), in lines for a person or as JSON.
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { holderAlive, readHolder } from '../front/lock.ts'
import { controllerLockFile, controllerName } from '../authority/docker-target.ts'
import { controllerStateFile, readControllerState, type ControllerState } from '../server/controller-state.ts'

export interface ControllerStatus {
  target: string
  /** The installed controller's container, or a controller in the foreground (the lock's holder). */
  runs: { container: string | null; running: boolean; holder: string | null }
  state: ControllerState | null
}

export async function controllerStatus(sfHome: string, name: string, env: Env): Promise<ControllerStatus> {
  const container = await inspectContainer(controllerName(name), env)
  const holder = await readHolder(controllerLockFile(sfHome, name))
  const alive = holder !== null && holderAlive(holder)
  return {
    target: name,
    runs: { container: container?.name ?? null, running: Boolean(container?.running) || alive, holder: alive ? `pid ${holder.pid} (${holder.command}) since ${holder.since}` : null },
    state: readControllerState(controllerStateFile(sfHome, name)),
  }
}

const short = (digest: string | null | undefined) => (digest ? digest.slice(0, 19) : '(none)')

export function formatControllerStatus(s: ControllerStatus): string {
  const lines = [`controller of ${s.target}: ${s.runs.running ? `runs${s.runs.container ? ` in ${s.runs.container}` : ''}${s.runs.holder ? `, ${s.runs.holder}` : ''}` : `does not run${s.runs.container ? ` (${s.runs.container} is stopped)` : ''}`}`]
  const st = s.state
  if (!st) return [...lines, '  no state yet: install it (npm run controller:install -- --target NAME) or run it (npm run controller -- --target NAME)'].join('\n')
  lines.push(
    `  channel    ${st.repository}:${st.channel} → ${short(st.channelDigest)}`,
    `  serving    ${short(st.serving?.digest)}${st.serving?.commit ? ` (commit ${st.serving.commit.slice(0, 12)})` : ''}${st.serving?.since ? ` since ${st.serving.since}` : ''}`,
    `  last check ${st.lastCheck ? `${st.lastCheck.at}: ${st.lastCheck.outcome} (${st.lastCheck.requests} requests to the registry, ${st.lastCheck.cpuMs} ms CPU)` : 'none yet'}`,
    `  registry   ${st.registry.reachable ? `answers (since ${st.registry.since})` : `unreachable since ${st.registry.since}: ${st.registry.error}; next try ${st.registry.nextCheckAt ?? 'soon'}`}`,
  )
  if (st.rolling) lines.push(`  rolling    ${short(st.rolling.digest)} since ${st.rolling.since}`)
  if (st.lastRollout) lines.push(`  last roll  ${short(st.lastRollout.digest)} ${st.lastRollout.outcome} at ${st.lastRollout.finishedAt}: ${st.lastRollout.message.split('\n')[0]}`)
  for (const r of st.refused) lines.push(`  refused    ${short(r.digest)} ${r.kind}${r.blocking ? ' (until the channel moves)' : ''} at ${r.at}: ${r.reason}`)
  lines.push(`  pulls      ${st.pulls} since ${st.controller.startedAt}; controller commit ${st.controller.commit?.slice(0, 12) ?? 'unknown'}, every ${st.controller.intervalMs / 1000} s`)
  return lines.join('\n')
}
