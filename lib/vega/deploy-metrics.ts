// The deployments as figures for /api/metrics, from the history (SF_HOME/vega/history.jsonl): attempts
// by outcome, how long they took, the upgrades the front switched back and why, and when the last one
// succeeded. Read whole at scrape time (a line per attempt, so it stays small); pure from the text on.
import fs from 'node:fs/promises'
import { historyEntrySchema, historyFile, parseHistory, type HistoryEntry } from './history.ts'

export const switchBackReasons = ['5xx', 'errors', 'latency', 'probes'] as const
export type SwitchBackReason = (typeof switchBackReasons)[number]

export interface DeployRecord {
  entry: HistoryEntry
  /** Why the front switched back, for an upgrade that was rolled back; null otherwise. */
  switchBack: SwitchBackReason | null
}

/** The attempts of the site `name` in the history's text, oldest first; lines that do not parse are skipped. */
export function parseDeployRecords(text: string, name: string): DeployRecord[] {
  return parseHistory(text)
    .filter((entry) => entry.name === name)
    .map((entry) => ({ entry, switchBack: switchBackOf(entry) }))
}

/**
 * The rule of the first failing verdict when the analysis has one, else the probes, which decided alone
 * (entries written before the analysis, or with one of a shape the history drops, have none).
 */
function switchBackOf(entry: HistoryEntry): SwitchBackReason | null {
  if (entry.action !== 'upgrade' || entry.outcome !== 'rolled-back') return null
  return entry.analysis?.find((v) => v.decision === 'fail')?.rule ?? 'probes'
}

export type DeployAction = HistoryEntry['action']
export type DeployOutcome = HistoryEntry['outcome']
export const deployActions = historyEntrySchema.shape.action.options
export const deployOutcomes = historyEntrySchema.shape.outcome.options

export interface DeployFigures {
  /** Every action and outcome, 0 included, so a first failure is an increase from 0 and not a new series. */
  attempts: { action: DeployAction; outcome: DeployOutcome; count: number }[]
  /** Each attempt's duration, the sum of its phases. */
  durations: { action: DeployAction; outcome: DeployOutcome; seconds: number }[]
  /** Upgrades switched back, by reason, 0 included. */
  switchBacks: Record<SwitchBackReason, number>
  /** When the last successful attempt of each action ended (its start plus its phases), in Unix seconds. */
  lastSuccess: Partial<Record<DeployAction, number>>
}

/** What succeeding means for each action: an upgrade upgraded, a rollback (by hand) rolled back. */
const success: Record<DeployAction, DeployOutcome> = { upgrade: 'upgraded', rollback: 'rolled-back' }

export function deployFigures(records: DeployRecord[]): DeployFigures {
  const counts = new Map<string, number>()
  const switchBacks = Object.fromEntries(switchBackReasons.map((r) => [r, 0])) as Record<SwitchBackReason, number>
  const lastSuccess: DeployFigures['lastSuccess'] = {}
  const durations: DeployFigures['durations'] = []
  for (const { entry, switchBack } of records) {
    const key = `${entry.action} ${entry.outcome}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
    const seconds = Object.values(entry.phases).reduce((a, b) => a + b, 0) / 1000
    durations.push({ action: entry.action, outcome: entry.outcome, seconds })
    if (switchBack) switchBacks[switchBack] += 1
    const started = Date.parse(entry.at)
    if (entry.outcome === success[entry.action] && Number.isFinite(started)) {
      const ended = started / 1000 + seconds
      lastSuccess[entry.action] = Math.max(lastSuccess[entry.action] ?? 0, ended)
    }
  }
  const attempts = deployActions.flatMap((action) => deployOutcomes.map((outcome) => ({ action, outcome, count: counts.get(`${action} ${outcome}`) ?? 0 })))
  return { attempts, durations, switchBacks, lastSuccess }
}

/** The figures of the site `name` from SF_HOME's history, or null when there is no history to read. */
export async function readDeployFigures(sfHome: string, name: string): Promise<DeployFigures | null> {
  let text: string
  try {
    text = await fs.readFile(historyFile(sfHome), 'utf8')
  } catch {
    return null
  }
  return deployFigures(parseDeployRecords(text, name))
}
