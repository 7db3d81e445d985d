// docker:vega:status: what runs (version, image, uptime, readiness) and the last attempts.
import { inspectContainer } from '../docker/inspect.ts'
import type { Env, SfConfig } from '../env.ts'
import type { ReleaseManifest } from '../release/manifest.ts'
import { fetchAnswer } from '../probe.ts'
import { frontDir, frontFiles, frontName } from './front.ts'
import { readSlots, type SlotState } from './haproxy.ts'
import { readHistory, type HistoryEntry } from './history.ts'
import { lockFile } from './lock.ts'
import { describeLock, lockState, type LockState } from './lock-state.ts'
import { readReleases, type Releases } from './releases.ts'
import { probeHostFor, urlOf } from './preflight.ts'

export interface VegaStatus {
  name: string
  url: string
  container: { running: boolean; health: string | null; image: string; imageId: string; startedAt: string; uptimeSeconds: number | null } | null
  ready: { status: number | null; reason: string | null }
  version: { commit: string; dirty: boolean; buildId: string; builtAt: string } | null
  releases: Releases
  /** The upgrade lock: free, held by a live process, or stale (its holder died; the next upgrade recovers it). */
  lock: LockState
  history: HistoryEntry[]
  /** Behind the front: its container and what its runtime API says of each slot; null without a front. */
  front: { running: boolean; image: string; restartCount: number; slots: SlotState[] | null; error: string | null } | null
}

export async function vegaStatus(config: SfConfig, env: Env, historyCount = 5): Promise<VegaStatus> {
  const name = config.SF_VEGA_NAME
  const url = urlOf(probeHostFor(config), config.SF_VEGA_PORT)
  const state = await inspectContainer(name, env)
  const ready = await fetchAnswer(`${url}/api/ready`, { timeoutMs: 3000 }).then(
    (a) => ({ status: a.status, reason: (a.json as { reason?: string | null } | undefined)?.reason ?? null }),
    (e: Error & { code?: string }) => ({ status: null, reason: e.code ?? e.message }),
  )
  const manifest = await fetchAnswer(`${url}/api/version`, { timeoutMs: 3000 }).then(
    (a) => (a.json as { manifest?: ReleaseManifest } | undefined)?.manifest ?? null,
    () => null,
  )
  const started = state?.running ? Date.parse(state.startedAt) : NaN
  return {
    name,
    url,
    container: state && {
      running: state.running,
      health: state.health,
      image: state.image,
      imageId: state.imageId,
      startedAt: state.startedAt,
      uptimeSeconds: Number.isNaN(started) ? null : Math.round((Date.now() - started) / 1000),
    },
    ready,
    version: manifest && { commit: manifest.git.commit, dirty: manifest.git.dirty, buildId: manifest.webHost.buildId, builtAt: manifest.builtAt },
    releases: await readReleases(config.SF_HOME, name),
    lock: await lockState(lockFile(config.SF_HOME, name), env),
    history: await readHistory(config.SF_HOME, historyCount),
    front: await frontStatus(config, env),
  }
}

export function formatStatus(s: VegaStatus): string {
  const lines = [`${s.name} at ${s.url}`]
  const c = s.container
  lines.push(
    c
      ? `  container: ${c.running ? 'running' : 'stopped'}${c.health ? ` (${c.health})` : ''}, up ${c.uptimeSeconds ?? 0}s, image ${c.image} (${c.imageId.slice(0, 19)})`
      : '  container: none',
  )
  lines.push(`  ready: ${s.ready.status === 200 ? 'yes' : `no (${s.ready.status ?? 'no answer'}${s.ready.reason ? `: ${s.ready.reason}` : ''})`}`)
  lines.push(s.version ? `  version: commit ${s.version.commit.slice(0, 12)}${s.version.dirty ? ' (dirty)' : ''}, build ${s.version.buildId}, built ${s.version.builtAt}` : '  version: unknown (/api/version does not answer)')
  lines.push(`  previous release: ${s.releases.previous ? `build ${s.releases.previous.buildId} (commit ${s.releases.previous.commit.slice(0, 12)})` : 'none recorded'}`)
  if (s.lock.state !== 'free') lines.push(`  ${describeLock(s.lock)}`)
  if (s.front) {
    const f = s.front
    lines.push(`  front: ${f.running ? 'running' : 'stopped'}, image ${f.image}${f.restartCount ? `, restarted ${f.restartCount} time(s) after a crash` : ''}${f.error ? ` (${f.error})` : ''}`)
    for (const slot of f.slots ?? []) {
      const state = slot.maint ? 'maintenance' : slot.draining ? 'draining' : 'ready'
      lines.push(`    slot ${slot.slot}: ${state}, ${slot.up ? 'up' : 'down'} at ${slot.addr}, ${slot.sessions} request(s) now, ${slot.total} served, ${slot.errors} error(s)`)
    }
  }
  lines.push(s.history.length ? '  last attempts:' : '  no attempts recorded')
  for (const h of s.history) {
    const total = Object.values(h.phases).reduce((a, b) => a + b, 0)
    lines.push(`    ${h.at} ${h.action} ${h.outcome} ${h.from?.commit?.slice(0, 12) ?? '-'} -> ${h.to?.commit?.slice(0, 12) ?? '-'} in ${(total / 1000).toFixed(1)}s by ${h.by}${h.error ? `: ${h.error.split('\n')[0]}` : ''}`)
  }
  return lines.join('\n')
}

async function frontStatus(config: SfConfig, env: Env): Promise<VegaStatus['front']> {
  const state = await inspectContainer(frontName(config.SF_VEGA_NAME), env)
  if (!state) return null
  const socket = frontFiles(frontDir(config.SF_HOME, config.SF_VEGA_NAME)).socket
  const slots = await readSlots(socket).then(
    (s) => ({ slots: s, error: null }),
    (e: Error) => ({ slots: null, error: e.message }),
  )
  return { running: state.running, image: state.image, restartCount: state.restartCount, ...slots }
}
