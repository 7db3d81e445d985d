// The pull model's other half: once a channel tag moved, wait until every host that follows it serves
// the digest (its /api/version), or one of them reports that it refused it (its /api/controller), or
// the time is up. Each host is asked over the URL its probes reach; the deployer needs no runner, no
// socket and no credentials on the hosts. Ends with a table of hosts, digests and times.
import { fetchAnswer } from '../probe.ts'
import type { Progress } from '../progress.ts'
import type { ControllerState } from '../server/controller-state.ts'
import { RolloutError } from './errors.ts'
import { versionMismatch, type ExpectedRelease } from './probes.ts'

export interface FleetHost {
  name: string
  url: string
}

export type HostStatus = 'serving' | 'refused' | 'waiting'

export interface HostReport {
  name: string
  url: string
  status: HostStatus
  /** The digest its /api/version last reported. */
  digest: string | null
  /** Seconds from the channel's move until it served the digest. */
  seconds: number | null
  /** What the host's controller said, or why it could not be asked. */
  detail: string
}

/** One look at a host: what it serves, and whether its controller refused `expected`. Pure. */
export function judgeHost(version: unknown, controller: ControllerState | null, expected: ExpectedRelease): { status: HostStatus; digest: string | null; detail: string } {
  const digest = (version as { runningImage?: { digest?: string | null } } | undefined)?.runningImage?.digest ?? null
  if (version !== undefined && versionMismatch(version, expected) === null) return { status: 'serving', digest, detail: 'serves it' }
  const refusal = controller?.refused.find((r) => r.digest === expected.digest && r.blocking)
  if (refusal) return { status: 'refused', digest, detail: `refused at ${refusal.at}: ${refusal.reason}` }
  if (!controller) return { status: 'waiting', digest, detail: 'no controller reports here' }
  if (controller.rolling?.digest === expected.digest) return { status: 'waiting', digest, detail: `rolling since ${controller.rolling.since}` }
  if (!controller.registry.reachable) return { status: 'waiting', digest, detail: `its controller cannot reach the registry: ${controller.registry.error}` }
  const untested = controller.refused.find((r) => r.digest === expected.digest && r.kind === 'untested')
  return { status: 'waiting', digest, detail: untested ? `its controller found no evidence at ${untested.at}` : `last check ${controller.lastCheck?.at ?? 'none yet'}` }
}

export interface WaitOptions {
  progress: Progress
  timeoutMs: number
  /** Between two looks at every host. */
  intervalMs?: number
}

/** Wait for every host to serve `expected`; a RolloutError when one refused it or the time is up. */
export async function waitForFleet(hosts: FleetHost[], expected: ExpectedRelease, o: WaitOptions): Promise<HostReport[]> {
  const started = Date.now()
  const reports = new Map<string, HostReport>(hosts.map((h) => [h.name, { ...h, status: 'waiting', digest: null, seconds: null, detail: 'not asked yet' }]))
  const done = o.progress.phase(`wait for ${hosts.length} host${hosts.length === 1 ? '' : 's'} to serve ${expected.digest.slice(0, 19)} (up to ${Math.round(o.timeoutMs / 1000)} s)`)
  for (;;) {
    await Promise.all(
      hosts.map(async (host) => {
        const report = reports.get(host.name)!
        if (report.status !== 'waiting') return
        const seen = await lookAt(host, expected)
        if (seen.status !== report.status || seen.detail !== report.detail) o.progress.note(`${host.name}: ${seen.detail}`)
        Object.assign(report, seen, seen.status === 'serving' ? { seconds: Math.round((Date.now() - started) / 100) / 10 } : {})
      }),
    )
    const all = [...reports.values()]
    const refused = all.filter((r) => r.status === 'refused')
    if (refused.length) {
      done('a host refused it')
      throw new RolloutError(`${refused.map((r) => `${r.name} refused ${expected.digest}: ${r.detail}`).join('\n')}\n${fleetTable(all)}`, true)
    }
    if (all.every((r) => r.status === 'serving')) {
      done(`all serve it after ${Math.max(...all.map((r) => r.seconds ?? 0))} s`)
      o.progress.note(`\n${fleetTable(all)}`)
      return all
    }
    if (Date.now() - started > o.timeoutMs) {
      done('timed out')
      const late = all.filter((r) => r.status !== 'serving')
      throw new RolloutError(
        `${late.length} of ${all.length} hosts did not serve ${expected.digest} within ${Math.round(o.timeoutMs / 1000)} s:\n${fleetTable(all)}\nis each host's controller running (npm run controller:status -- --target NAME on that host)? give more time with --wait-timeout`,
        false,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, o.intervalMs ?? 1000))
  }
}

async function lookAt(host: FleetHost, expected: ExpectedRelease) {
  const version = await fetchAnswer(`${host.url}/api/version`).then(
    (a) => (a.status === 200 ? a.json : undefined),
    () => undefined,
  )
  const controller = await fetchAnswer(`${host.url}/api/controller`).then(
    (a) => (a.status === 200 ? ((a.json as { controller?: ControllerState | null }).controller ?? null) : null),
    () => null,
  )
  return judgeHost(version, controller, expected)
}

/** The hosts as a table: name, url, status, digest and seconds. */
export function fleetTable(reports: HostReport[]): string {
  const rows = [['host', 'url', 'status', 'serves', 'after'], ...reports.map((r) => [r.name, r.url, r.status, r.digest ? r.digest.slice(0, 19) : '(none)', r.seconds === null ? '-' : `${r.seconds} s`])]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}
