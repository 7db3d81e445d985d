// One upgrade at a time per host and container name: a lock file under SF_HOME that names its holder.
// A lock whose holder died (same host, pid gone or reused) is recovered; a live one is refused, with the
// caller's own words for what to do meanwhile, or waited for.
import fs from 'node:fs/promises'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { SfError } from '../errors.ts'

export class LockError extends SfError {
  override name = 'LockError'
}

/** One end of an attempt: the release it went from or to (the lock's run record and the history share it). */
export const sideSchema = z.object({ commit: z.string().nullable(), buildId: z.string().nullable(), imageId: z.string().nullable() })

const holderSchema = z.object({
  pid: z.number().int(),
  /** Start time of the pid in clock ticks since boot, so a reused pid is not mistaken for the holder. */
  pidStart: z.string().nullable(),
  host: z.string(),
  user: z.string(),
  since: z.string(),
  command: z.string(),
  /** The upgrader container the holder runs in, when a server started it: its liveness is that container's. */
  container: z.string().optional(),
  /** How far the holder's run got, rewritten as it goes: what a recovery records if the holder dies. */
  run: z
    .object({
      action: z.enum(['upgrade', 'rollback']),
      from: sideSchema.nullable(),
      to: sideSchema.nullable(),
      phases: z.record(z.string(), z.number()),
      current: z.string().nullable(),
    })
    .optional(),
})
export type LockHolder = z.infer<typeof holderSchema>
export type RunRecord = NonNullable<LockHolder['run']>

export interface Lock {
  file: string
  /** Set when a dead holder's lock was taken over. */
  recovered: LockHolder | null
  /** Rewrite the lock with how far this run got (whole, by a rename: a reader never sees half of it). */
  record(run: RunRecord): void
  release(): Promise<void>
}

/** One lock per container name, shared by up, run, upgrade and rollback. */
export function lockFile(sfHome: string, name: string): string {
  return path.join(sfHome, 'vega', name, 'lock.json')
}

export function thisProcess(command: string, container?: string): LockHolder {
  return { pid: process.pid, pidStart: startOf(readStat(process.pid)), host: os.hostname(), user: os.userInfo().username, since: new Date().toISOString(), command, ...(container ? { container } : {}) }
}

/** `busy`: what the refusal tells the user to do while another holds the lock, in the caller's words. */
export async function acquireLock(file: string, options: { command: string; waitMs: number; container?: string; onWait?: (holder: LockHolder) => void; busy: string }): Promise<Lock> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const me = thisProcess(options.command, options.container)
  const started = Date.now()
  let recovered: LockHolder | null = null
  let told = false
  for (;;) {
    if (await tryCreate(file, me)) {
      return {
        file,
        recovered,
        record(run) {
          try {
            writeFileSync(`${file}.run-${process.pid}`, JSON.stringify({ ...me, run }) + '\n', { mode: 0o600 })
            renameSync(`${file}.run-${process.pid}`, file)
          } catch {
            // A record that cannot be written costs only the detail of a recovery, never the run.
          }
        },
        release: async () => {
          const now = await readHolder(file)
          if (now?.pid === me.pid && now.host === me.host) await fs.rm(file, { force: true })
        },
      }
    }
    const text = await fs.readFile(file, 'utf8').catch(() => null)
    if (text === null) continue // released meanwhile: try again
    const holder = parseHolder(text)
    if (holder === null || !holderAlive(holder)) {
      if (await takeAway(file, text)) recovered = holder ?? { pid: 0, pidStart: null, host: '?', user: '?', since: '?', command: 'unreadable lock file' }
      continue
    }
    if (Date.now() - started >= options.waitMs) {
      throw new LockError(
        `another upgrade holds ${file}: pid ${holder.pid} (${holder.user}@${holder.host}, ${holder.command}) since ${holder.since}; ${options.busy}${holder.host === os.hostname() ? '' : `; the holder runs on ${holder.host}, so its liveness cannot be checked from here: if no upgrade runs there, remove ${file}`}`,
      )
    }
    if (!told) options.onWait?.(holder)
    told = true
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** The lock's holder, or null when the file is gone or unreadable. */
export async function readHolder(file: string): Promise<LockHolder | null> {
  return parseHolder(await fs.readFile(file, 'utf8').catch(() => ''))
}

function parseHolder(text: string): LockHolder | null {
  try {
    return holderSchema.parse(JSON.parse(text))
  } catch {
    return null
  }
}

/**
 * Remove the lock file only if it still holds `text`, the record judged dead. It is moved aside
 * first; if what was moved is another, newer lock (taken between the read and the move), it is put
 * back. Of several processes recovering one dead lock, one wins.
 */
async function takeAway(file: string, text: string): Promise<boolean> {
  const aside = `${file}.stale-${process.pid}`
  if (!(await fs.rename(file, aside).then(() => true, () => false))) return false
  const moved = await fs.readFile(aside, 'utf8').catch(() => null)
  if (moved === text) {
    await fs.rm(aside, { force: true })
    return true
  }
  // Someone's live lock: back into place (unless yet another process took the lock meanwhile).
  await fs.link(aside, file).catch(() => {})
  await fs.rm(aside, { force: true })
  return false
}

/** Write the whole record to a temp file, then link it into place: the lock never exists half-written. */
async function tryCreate(file: string, me: LockHolder): Promise<boolean> {
  const temp = `${file}.new-${process.pid}`
  await fs.writeFile(temp, JSON.stringify(me) + '\n', { mode: 0o600 })
  try {
    await fs.link(temp, file)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await fs.rm(temp, { force: true })
  }
}

/** A holder on another host (another pid namespace) cannot be checked, so it counts as alive. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  return aliveFromStat(readStat(holder.pid), holder.pidStart)
}

/**
 * Whether the process a /proc/<pid>/stat text describes is the holder: there at all, not a killed
 * process nobody reaped yet (a zombie still answers kill(pid, 0)), and started when the holder was
 * (else the pid was reused). Pure, so a stat read elsewhere (the engine's host) is judged the same way.
 */
export function aliveFromStat(stat: string | null, holderStart: string | null): boolean {
  if (stat === null) return false
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  if (['Z', 'X'].includes(fields[0] ?? '')) return false
  return holderStart === null || startOf(stat) === holderStart
}

/** Field 22 of a stat text, the start time in clock ticks since boot. */
function startOf(stat: string | null): string | null {
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
}

function readStat(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
}
