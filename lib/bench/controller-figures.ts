// The figures of bench:controller, computed from what the runs recorded: promote's table, the
// controllers' states, /proc of their processes and the registry's access log. Pure: no clock, no I/O.
import type { ControllerState } from '../server/controller-state.ts'
import type { ControllerBenchResult } from './controller.ts'

export interface Spread {
  min: number
  median: number
  max: number
}

/** Min, median (the mean of the middle two of an even count) and max, to 0.1; all 0 of no value. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: 0, median: 0, max: 0 }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length / 2
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { min: tenth(sorted[0]!), median: tenth(median), max: tenth(sorted.at(-1)!) }
}

/**
 * utime + stime + cutime + cstime of /proc/<pid>/stat, in clock ticks: the process and the children it
 * waited for (a docker CLI it ran). The name (field 2) may hold spaces and parentheses, so fields
 * count from its last `)`.
 */
export function procCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/)
  // fields[0] is field 3 (state): utime, stime, cutime and cstime are fields 14 to 17.
  const ticks = fields.slice(11, 15).map(Number)
  if (ticks.length !== 4 || !ticks.every(Number.isFinite)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`)
  return ticks.reduce((sum, t) => sum + t, 0)
}

/** VmRSS of /proc/<pid>/status in KiB, or null when it has none (a zombie). */
export function procRssKiB(status: string): number | null {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  return m ? Number(m[1]) : null
}

export interface RolloutShare {
  host: string
  /** From promote's start to the controller's rollout start: the wait for its next check, the HEAD, the evidence, the pull. */
  untilRolloutS: number
  /** The controller's rollout, startedAt to finishedAt: candidate, probes, switch, settle window. */
  rolloutS: number
}

/** Where each host's time went, read against promote's start (ms since the epoch). */
export function rolloutShares(promoteStartMs: number, states: readonly Pick<ControllerState, 'target' | 'lastRollout'>[]): RolloutShare[] {
  return states.map((s) => {
    if (!s.lastRollout) throw new Error(`${s.target} recorded no rollout`)
    const started = Date.parse(s.lastRollout.startedAt)
    return { host: s.target, untilRolloutS: tenth((started - promoteStartMs) / 1000), rolloutS: tenth((Date.parse(s.lastRollout.finishedAt) - started) / 1000) }
  })
}

export interface ProcSample {
  cpuTicks: number
  rssKiB: number | null
}

export interface IdleInputs {
  /** Each host's lastCheck at every idle check in the window. */
  checks: readonly NonNullable<ControllerState['lastCheck']>[]
  /** Each host's controller process at the window's start and end. */
  proc: readonly { before: ProcSample; after: ProcSample }[]
  clockTicksPerSecond: number
  /** Requests in the registry's access log during the window (no other client asked it then). */
  loggedRequests: number
  windowS: number
}

export interface IdleFigures {
  checks: number
  outcomes: string[]
  requestsPerCheck: { byState: Spread; byRegistryLog: number }
  cpuMsPerCheck: { byState: Spread; byProc: number }
  /** Of the whole window, checks and waits: the controllers' share of one core. */
  cpuPercentOfOneCore: number
  rssMiB: { start: Spread; end: Spread }
  windowS: number
}

export function idleFigures(i: IdleInputs): IdleFigures {
  const n = i.checks.length
  const ticks = i.proc.reduce((sum, p) => sum + (p.after.cpuTicks - p.before.cpuTicks), 0)
  const cpuMs = (ticks * 1000) / i.clockTicksPerSecond
  const mib = (kib: number | null) => (kib === null ? [] : [kib / 1024])
  return {
    checks: n,
    outcomes: [...new Set(i.checks.map((c) => c.outcome))],
    requestsPerCheck: { byState: spread(i.checks.map((c) => c.requests)), byRegistryLog: n ? hundredth(i.loggedRequests / n) : 0 },
    cpuMsPerCheck: { byState: spread(i.checks.map((c) => c.cpuMs)), byProc: n ? tenth(cpuMs / n) : 0 },
    cpuPercentOfOneCore: i.windowS > 0 ? hundredth((cpuMs / (i.windowS * 1000 * i.proc.length)) * 100) : 0,
    rssMiB: { start: spread(i.proc.flatMap((p) => mib(p.before.rssKiB))), end: spread(i.proc.flatMap((p) => mib(p.after.rssKiB))) },
    windowS: tenth(i.windowS),
  }
}

const tenth = (n: number) => Math.round(n * 10) / 10
const hundredth = (n: number) => Math.round(n * 100) / 100

/** A few lines for a person: each fleet's release (and its first rollout), and the idle controller. */
export function formatControllerSummary(r: ControllerBenchResult): string {
  const s = (x: Spread) => `${x.min}/${x.median}/${x.max} s`
  const lines = [`bench:controller on ${r.machine.cpus} CPUs, load ${JSON.stringify(r.machine.loadAverageAtStart)} at the start, ${JSON.stringify(r.loadAverageAtEnd)} at the end`]
  for (const f of r.fleets) {
    lines.push(
      `${f.label}: ${f.hosts} host${f.hosts === 1 ? '' : 's'}, a check every ${f.intervalS} s`,
      `  first rollout  promote --wait ${f.first.promoteWallS} s; hosts served after ${s(f.first.hostSeconds)} (min/median/max)`,
      `  next digest    promote --wait ${f.next.promoteWallS} s; hosts served after ${s(f.next.hostSeconds)}`,
      `                 promote's start to the rollout's start ${s(f.next.untilRolloutS)} (the wait for the next check, and the pull); the rollout ${s(f.next.rolloutS)}`,
    )
  }
  const idle = r.idle
  if (idle) {
    lines.push(
      `idle (${idle.fleet}, every ${idle.intervalS} s, ${idle.checks} checks over ${idle.windowS} s): registry requests a check ${idle.requestsPerCheck.byState.median} by its count, ${idle.requestsPerCheck.byRegistryLog} by the registry's log;`,
      `  CPU a check ${idle.cpuMsPerCheck.byState.median} ms by its count (the check alone), ${idle.cpuMsPerCheck.byProc} ms by /proc (check and wait), ${idle.cpuPercentOfOneCore}% of one core; RSS ${idle.rssMiB.start.median} → ${idle.rssMiB.end.median} MiB`,
    )
  }
  return lines.join('\n')
}
