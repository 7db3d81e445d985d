// Every upgrade or rollback attempt appends one JSON line to SF_HOME/vega/history.jsonl.
import fs from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'

const side = z.object({ commit: z.string().nullable(), buildId: z.string().nullable(), imageId: z.string().nullable() })

export const historyEntrySchema = z.object({
  at: z.string().describe('When the attempt started.'),
  by: z.string().describe('user@host (pid).'),
  action: z.enum(['upgrade', 'rollback']),
  name: z.string().describe('The prod container.'),
  from: side.nullable(),
  to: side.nullable(),
  phases: z.record(z.string(), z.number()).describe('Each phase and its duration in ms, in order.'),
  outcome: z.enum(['upgraded', 'rolled-back', 'candidate-failed', 'rollback-failed', 'failed', 'abandoned']),
  rollback: z.string().nullable().describe('What the automatic rollback did, if one ran.'),
  error: z.string().nullable(),
})
export type HistoryEntry = z.infer<typeof historyEntrySchema>

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
    .slice(-count)
}
