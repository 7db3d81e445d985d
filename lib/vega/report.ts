// Progress of an upgrade: one line per phase with elapsed time on stderr, the same events as JSON
// lines on stdout with --json and in a file with --events-file (which a server streams to the page),
// and each phase's duration kept for the history.
import { appendFileSync } from 'node:fs'
import { formatPhase, type Progress } from '../progress.ts'

export interface Report extends Progress {
  /** Durations in ms by phase, in the order the phases ran. */
  readonly phases: Record<string, number>
  /** The phase started last and not yet done, or null. */
  readonly current: string | null
  /** Call `listener` after each phase starts or ends (the lock records how far a run got). */
  watch(listener: () => void): void
  /** A machine event (also written as JSON with --json). */
  event(kind: string, fields: Record<string, unknown>): void
}

export function createReport(options: { json: boolean; eventsFile?: string; err?: (line: string) => void; out?: (line: string) => void }): Report {
  const err = options.err ?? ((l) => process.stderr.write(l + '\n'))
  const out = options.out ?? ((l) => process.stdout.write(l + '\n'))
  const file = options.eventsFile
  // One whole line per append: a reader tailing the file never meets half an event it cannot finish.
  const toFile = file ? (line: string) => appendFileSync(file, line + '\n') : null
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const phases: Record<string, number> = {}
  const open: string[] = []
  const listeners: (() => void)[] = []
  const changed = () => listeners.forEach((l) => l())
  const event = (kind: string, fields: Record<string, unknown>) => {
    if (!options.json && !toFile) return
    const line = JSON.stringify({ event: kind, elapsedMs: elapsed(), ...fields })
    if (options.json) out(line)
    toFile?.(line)
  }
  return {
    phases,
    get current() {
      return open.at(-1) ?? null
    },
    watch: (listener) => void listeners.push(listener),
    event,
    phase(name) {
      const phaseStarted = performance.now()
      // Recorded before it is announced: a run killed as soon as a phase is seen to start was in it.
      open.push(name)
      changed()
      err(formatPhase(elapsed(), `${name} …`))
      event('phase-start', { phase: name })
      return (detail) => {
        const at = open.lastIndexOf(name)
        if (at >= 0) open.splice(at, 1)
        const ms = Math.round(performance.now() - phaseStarted)
        let key = name
        for (let n = 2; key in phases; n++) key = `${name} #${n}`
        phases[key] = ms
        err(formatPhase(elapsed(), `${name}: done in ${(ms / 1000).toFixed(1)}s${detail ? ` (${detail})` : ''}`))
        event('phase-done', { phase: name, durationMs: ms, ...(detail ? { detail } : {}) })
        changed()
      }
    },
    note(line) {
      err(`${' '.repeat(formatPhase(0, '').length)}${line}`)
      event('note', { text: line })
    },
  }
}
