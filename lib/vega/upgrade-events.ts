// Reading the events of an upgrade a server started (upgrader.ts writes where): whole lines only, by
// line number, so that a stream can resume from the last line a client saw (its Last-Event-ID).
import fs from 'node:fs/promises'
import path from 'node:path'
import { eventsFile, upgradeIdPattern, upgradesDir } from './upgrader.ts'

export interface UpgradeEvent {
  /** 1-based line number in the file: the event's id in the stream. */
  line: number
  event: string
  data: Record<string, unknown>
}

/** The complete lines of `text` after line `after`, parsed; a last line without its newline is left for later. */
export function parseEvents(text: string, after: number): UpgradeEvent[] {
  const lines = text.split('\n')
  lines.pop() // the part after the last newline: empty, or a line still being written
  const events: UpgradeEvent[] = []
  lines.forEach((raw, i) => {
    const line = i + 1
    if (line <= after) return
    let data: Record<string, unknown>
    try {
      data = JSON.parse(raw) as Record<string, unknown>
    } catch {
      data = { event: 'note', text: raw }
    }
    events.push({ line, event: typeof data.event === 'string' ? data.event : 'note', data })
  })
  return events
}

export async function readEvents(file: string, after: number): Promise<UpgradeEvent[]> {
  return parseEvents(await fs.readFile(file, 'utf8'), after)
}

/** The events file of upgrade `id` under any vega name in SF_HOME, or null when there is none. */
export async function findEventsFile(sfHome: string, id: string): Promise<string | null> {
  if (!upgradeIdPattern.test(id)) return null
  const names = await fs.readdir(path.join(sfHome, 'vega')).catch(() => [] as string[])
  for (const name of names) {
    const file = eventsFile(sfHome, name, id)
    if (await fs.stat(file).then((s) => s.isFile(), () => false)) return file
  }
  return null
}

export interface UpgradeSummary {
  id: string
  action: string
  at: string | null
  /** The outcome event's fields, or null while it runs (or if its upgrader died without one). */
  outcome: { outcome: string; error?: string } | null
}

/** The last `count` upgrades servers started for `name`, newest first. */
export async function recentUpgrades(sfHome: string, name: string, count: number): Promise<UpgradeSummary[]> {
  const dir = upgradesDir(sfHome, name)
  const ids = (await fs.readdir(dir).catch(() => [] as string[]))
    .map((f) => f.replace(/\.jsonl$/, ''))
    .filter((id) => upgradeIdPattern.test(id))
    .sort()
    .reverse()
    .slice(0, count)
  return Promise.all(
    ids.map(async (id) => {
      const events = await readEvents(eventsFile(sfHome, name, id), 0).catch(() => [])
      const requested = events.find((e) => e.event === 'requested')?.data
      const outcome = events.findLast((e) => e.event === 'outcome')?.data as UpgradeSummary['outcome'] | undefined
      return { id, action: String(requested?.action ?? 'upgrade'), at: typeof requested?.at === 'string' ? requested.at : null, outcome: outcome ?? null }
    }),
  )
}
