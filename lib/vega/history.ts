// Every upgrade or rollback attempt appends one JSON line to SF_HOME/vega/history.jsonl.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { verdictSchema } from '../front/analysis.ts'
import { sideSchema, type LockHolder } from '../front/lock.ts'
import type { UpgradeContext } from './context.ts'
import type { Release } from './releases.ts'

export const historyEntrySchema = z.object({
  at: z.string().describe('When the attempt started.'),
  by: z.string().describe('user@host (pid).'),
  action: z.enum(['upgrade', 'rollback']),
  name: z.string().describe('The prod container.'),
  from: sideSchema.nullable(),
  to: sideSchema.nullable(),
  phases: z.record(z.string(), z.number()).describe('Each phase and its duration in ms, in order.'),
  outcome: z.enum(['upgraded', 'rolled-back', 'candidate-failed', 'rollback-failed', 'failed', 'abandoned']),
  rollback: z.string().nullable().describe('What the automatic rollback did, if one ran.'),
  error: z.string().nullable(),
  // An analysis of another shape (a later version's) is dropped, not the whole entry with it.
  analysis: z
    .array(verdictSchema)
    .optional()
    .catch(undefined)
    .describe('Behind the front: the verdict of each canary step and of the settle window, with the numbers of old and new.'),
})
export type HistoryEntry = z.infer<typeof historyEntrySchema>

/** The entry for an attempt by this process, with the phases its report has timed so far. */
export function entry(ctx: UpgradeContext, outcome: HistoryEntry['outcome'], from: Release | null, to: Release | null, rollback: string | null, error: string | null, action: HistoryEntry['action'] = 'upgrade'): HistoryEntry {
  return {
    at: new Date().toISOString(),
    by: `${os.userInfo().username}@${os.hostname()} (pid ${process.pid})`,
    action,
    name: ctx.config.SF_VEGA_NAME,
    from: side(from),
    to: side(to),
    phases: { ...ctx.progress.phases },
    outcome,
    rollback,
    error,
  }
}

export function side(r: Release | null): HistoryEntry['from'] {
  return r ? { commit: r.commit, buildId: r.buildId, imageId: r.imageId } : null
}

/**
 * The entry for a run that died holding the lock, from what its lock recorded: where it went from
 * and to, the phases it finished and the one it died in.
 */
export function abandonedEntry(name: string, holder: LockHolder): HistoryEntry {
  const run = holder.run
  return {
    at: holder.since,
    by: `${holder.user}@${holder.host} (pid ${holder.pid})`,
    action: run?.action ?? 'upgrade',
    name,
    from: run?.from ?? null,
    to: run?.to ?? null,
    phases: run?.phases ?? {},
    outcome: 'abandoned',
    rollback: null,
    error: `pid ${holder.pid} died holding the lock${run?.current ? ` during ${run.current}` : ''}`,
  }
}

export function historyFile(sfHome: string): string {
  return path.join(sfHome, 'vega', 'history.jsonl')
}

export async function appendHistory(sfHome: string, entry: HistoryEntry): Promise<void> {
  const file = historyFile(sfHome)
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  await fs.appendFile(file, JSON.stringify(historyEntrySchema.parse(entry)) + '\n')
}

/** The last `count` entries, oldest first; lines that do not parse are skipped. */
export async function readHistory(sfHome: string, count: number): Promise<HistoryEntry[]> {
  if (count <= 0) return []
  let text = ''
  try {
    text = await fs.readFile(historyFile(sfHome), 'utf8')
  } catch {
    return []
  }
  return parseHistory(text).slice(-count)
}

/** The entries in a history's text, oldest first; lines that do not parse are skipped. Pure. */
export function parseHistory(text: string): HistoryEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [historyEntrySchema.parse(JSON.parse(line))]
      } catch {
        return []
      }
    })
}
