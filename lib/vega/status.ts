// docker:vega:status: what runs (version, image, uptime, readiness) and the last attempts.
import { inspectContainer } from '../docker/inspect.ts'
import type { Env, SfConfig } from '../env.ts'
import { frontDir, frontFiles, frontName, fullWeight, type Slot } from '../front/definition.ts'
import { lockFile } from '../front/lock.ts'
import { describeLock, lockState, type LockState } from '../front/lock-state.ts'
import { inDeadNamespace } from '../front/ensure.ts'
import { readFrontInfo, readSlots, type SlotState } from '../front/runtime-api.ts'
import { findPortHolder, frontSocket, listFronts, publishesPort } from '../front/setup.ts'
import { asideName, candidateName } from '../front/site.ts'
import type { ReleaseManifest } from '../release/manifest.ts'
import { fetchAnswer, urlOf } from '../probe.ts'
import { describeVerdict } from '../front/analysis.ts'
import { readHistory, type HistoryEntry } from './history.ts'
import { readReleases, type Releases } from './releases.ts'
import { probeHostFor } from './preflight.ts'

export interface VegaStatus {
  name: string
  url: string
  container: { running: boolean; exitCode: number; health: string | null; image: string; imageId: string; buildId: string | null; startedAt: string; uptimeSeconds: number | null } | null
  ready: { status: number | null; reason: string | null }
  version: { commit: string; dirty: boolean; buildId: string; builtAt: string } | null
  releases: Releases
  /** The upgrade lock: free, held by a live process, or stale (its holder died; the next upgrade recovers it). */
  lock: LockState
  history: HistoryEntry[]
  /** Behind the front: its container and what its runtime API says of each slot; null without a front. */
  front: {
    running: boolean
    exitCode: number
    image: string
    restartCount: number
    slots: SlotState[] | null
    error: string | null
    /** The container that owns the port; null when there is none (a front made before holders owns it itself). */
    holder: { name: string; running: boolean; exitCode: number; since: string; ports: string[] } | null
    /** Every front container: one, or two while one takes over from the other (or a replacement was killed). */
    containers: FrontContainerStatus[]
  } | null
  /** A candidate or set-aside server a run that did not finish left (or, while one runs, its own). */
  leftovers: { name: string; running: boolean; exitCode: number; buildId: string | null; slot: string | null }[]
}

export interface FrontContainerStatus {
  name: string
  running: boolean
  exitCode: number
  image: string
  /** What its own admin socket says; null when it does not answer. */
  haproxy: string | null
  since: string
  /** It accepts on the port: it runs in the holder's live namespace, answers and is not stopping. */
  holdsListeners: boolean
  stopping: boolean
  /** It runs in a namespace its holder left when it restarted: nothing reaches it. */
  deadNamespace: boolean
  /** It publishes the port itself (made before the holder). */
  publishesPort: boolean
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
      exitCode: state.exitCode,
      health: state.health,
      image: state.image,
      imageId: state.imageId,
      buildId: state.labels['sf.build-id'] ?? null,
      startedAt: state.startedAt,
      uptimeSeconds: Number.isNaN(started) ? null : Math.round((Date.now() - started) / 1000),
    },
    ready,
    version: manifest && { commit: manifest.git.commit, dirty: manifest.git.dirty, buildId: manifest.webHost.buildId, builtAt: manifest.builtAt },
    releases: await readReleases(config.SF_HOME, name),
    lock: await lockState(lockFile(config.SF_HOME, name), env),
    history: await readHistory(config.SF_HOME, historyCount),
    front: await frontStatus(config, env),
    leftovers: (await Promise.all([candidateName(name), asideName(name)].map((n) => inspectContainer(n, env))))
      .filter((c) => c !== null)
      .map((c) => ({ name: c.name, running: c.running, exitCode: c.exitCode, buildId: c.labels['sf.build-id'] ?? null, slot: c.labels['sf.vega.slot'] ?? null })),
  }
}

export function formatStatus(s: VegaStatus): string {
  const lines = [`${s.name} at ${s.url}`]
  const c = s.container
  const build = c?.buildId ? `, build ${c.buildId}` : ''
  lines.push(
    c
      ? `  container: ${c.running ? `running${c.health ? ` (${c.health})` : ''}, up ${c.uptimeSeconds ?? 0}s` : `stopped (exit code ${c.exitCode})`}${build}, image ${c.image} (${c.imageId.slice(0, 19)})`
      : '  container: none',
  )
  lines.push(`  ready: ${s.ready.status === 200 ? 'yes' : `no (${s.ready.status ?? 'no answer'}${s.ready.reason ? `: ${s.ready.reason}` : ''})`}`)
  lines.push(s.version ? `  version: commit ${s.version.commit.slice(0, 12)}${s.version.dirty ? ' (dirty)' : ''}, build ${s.version.buildId}, built ${s.version.builtAt}` : '  version: unknown (/api/version does not answer)')
  lines.push(`  previous release: ${s.releases.previous ? `build ${s.releases.previous.buildId} (commit ${s.releases.previous.commit.slice(0, 12)})` : 'none recorded'}`)
  if (s.lock.state !== 'free') lines.push(`  ${describeLock(s.lock)}`)
  if (s.front) {
    const f = s.front
    const state = f.running ? `running, image ${f.image}` : `stopped (exit code ${f.exitCode}), image ${f.image}: nothing answers on ${s.url}`
    lines.push(`  front: ${state}${f.restartCount ? `, restarted ${f.restartCount} time(s) after a crash` : ''}${f.error ? ` (${f.error})` : ''}`)
    const h = f.holder
    if (h) lines.push(`    port holder ${h.name}: ${h.running ? `running since ${h.since}, publishes ${h.ports.join(', ')}` : `stopped (exit code ${h.exitCode}): nothing answers on ${s.url}`}`)
    else if (f.containers.some((c) => c.publishesPort)) lines.push(`    port holder: none; the front publishes the port itself (made before holders): the next npm run docker:vega:up moves it behind one, a gap of about a second`)
    for (const c of f.containers) {
      const what = c.running ? `running since ${c.since}, ${c.haproxy ? `HAProxy ${c.haproxy}` : 'its admin socket does not answer'}` : `stopped (exit code ${c.exitCode})`
      const role = c.holdsListeners ? 'holds the listeners' : c.stopping ? 'stopping: finishes what it serves' : c.deadNamespace ? `in a namespace its holder left, nothing reaches it: run npm run docker:vega:front` : c.running ? 'holds no listener' : ''
      lines.push(`    ${c.name}: ${what}, image ${c.image}${role ? `; ${role}` : ''}`)
    }
    for (const slot of f.slots ?? []) {
      const share = !slot.maint && !slot.draining && slot.weight !== fullWeight ? ` with weight ${slot.weight} of ${fullWeight} (a canary step)` : ''
      const state = slot.maint ? 'maintenance' : slot.draining ? 'draining' : slot.backup ? 'ready as the backup' : `ready${share}`
      lines.push(`    slot ${slot.slot}: ${state}, ${slot.up ? 'up' : 'down'} at ${slot.addr}, ${slot.sessions} request(s) now, ${slot.total} served, ${slot.errors} error(s)`)
    }
  }
  lines.push(...leftoverLines(s))
  // Stopped by hand (docker stop or kill): the restart policy leaves it down, and one command brings it back.
  const holder = s.front?.holder
  const stopped = [holder && !holder.running ? holder.name : null, s.front && !s.front.running ? frontName(s.name) : null, c && !c.running ? s.name : null].filter((n) => n !== null)
  if (stopped.length && s.lock.state !== 'held') lines.push(`  bring it back: docker start ${stopped.join(' ')}`)
  lines.push(s.history.length ? '  last attempts:' : '  no attempts recorded')
  for (const h of s.history) {
    const total = Object.values(h.phases).reduce((a, b) => a + b, 0)
    lines.push(`    ${h.at} ${h.action} ${h.outcome} ${h.from?.commit?.slice(0, 12) ?? '-'} -> ${h.to?.commit?.slice(0, 12) ?? '-'} in ${(total / 1000).toFixed(1)}s by ${h.by}${h.error ? `: ${h.error.split('\n')[0]}` : ''}`)
    for (const v of h.analysis ?? []) lines.push(...describeVerdict(v).map((l) => `      ${l}`))
  }
  return lines.join('\n')
}

/** Each leftover server, with what the front does with it and what the next upgrade will do with it. */
function leftoverLines(s: VegaStatus): string[] {
  const routed = new Set((s.front?.slots ?? []).filter((slot) => !slot.maint && !slot.draining).map((slot) => slot.slot))
  return s.leftovers.map((l) => {
    const state = `${l.running ? 'running' : `exited ${l.exitCode}`}, build ${l.buildId ?? '?'}`
    if (s.lock.state === 'held') return `  ${l.name} (${state}): the running upgrade's`
    const serves = l.running && l.slot !== null && routed.has(l.slot as Slot)
    const next = serves ? `keeps it as ${s.name} if it passes its probes, and removes the rest` : 'removes it'
    return `  leftover: ${l.name} (${state})${serves ? `, which the front routes to (slot ${l.slot})` : ''}: a run that did not finish left it; the next npm run docker:vega:upgrade ${next}`
  })
}

async function frontStatus(config: SfConfig, env: Env): Promise<VegaStatus['front']> {
  const site = { name: config.SF_VEGA_NAME, home: config.SF_HOME, env }
  const fronts = await listFronts(site)
  const state = fronts.find((f) => f.name === frontName(site.name)) ?? fronts.at(-1)
  if (!state) return null
  const socket = frontFiles(frontDir(config.SF_HOME, config.SF_VEGA_NAME)).socket
  const slots = state.running
    ? await readSlots(socket).then(
        (s) => ({ slots: s, error: null }),
        (e: Error) => ({ slots: null, error: e.message }),
      )
    : { slots: null, error: null }
  const holder = await findPortHolder(site)
  const containers = await Promise.all(
    fronts.map(async (f): Promise<FrontContainerStatus> => {
      const info = f.running ? await readFrontInfo(frontSocket(site, f)).catch(() => null) : null
      const deadNamespace = inDeadNamespace(f, holder)
      return {
        name: f.name,
        running: f.running,
        exitCode: f.exitCode,
        image: f.image,
        haproxy: info?.version ?? null,
        since: f.startedAt,
        stopping: info?.stopping ?? false,
        deadNamespace,
        publishesPort: publishesPort(f),
        holdsListeners: !!info && !info.stopping && !deadNamespace && (publishesPort(f) || !!holder?.running),
      }
    }),
  )
  return {
    running: state.running,
    exitCode: state.exitCode,
    image: state.image,
    restartCount: state.restartCount,
    ...slots,
    holder: holder && { name: holder.name, running: holder.running, exitCode: holder.exitCode, since: holder.startedAt, ports: holder.ports.map((p) => `${p.bind}:${p.hostPort}`) },
    containers,
  }
}
