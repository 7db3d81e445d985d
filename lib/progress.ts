// Progress for people: one line per phase on stderr, with the time since the command started.

export interface Progress {
  /** Start a phase; the returned function ends it with an optional detail. */
  phase(name: string): (detail?: string) => void
  /** A line within the current phase (output of a long step). */
  note(line: string): void
}

export function formatPhase(elapsedMs: number, text: string): string {
  return `[${(elapsedMs / 1000).toFixed(1).padStart(6)}s] ${text}`
}

/** Notes line up with the phase names above them. */
const noteIndent = ' '.repeat(formatPhase(0, '').length)

export function createProgress(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Progress {
  const started = performance.now()
  const elapsed = () => performance.now() - started
  return {
    phase(name) {
      const phaseStarted = performance.now()
      write(formatPhase(elapsed(), `${name} …`))
      return (detail) => {
        const took = ((performance.now() - phaseStarted) / 1000).toFixed(1)
        write(formatPhase(elapsed(), `${name}: done in ${took}s${detail ? ` (${detail})` : ''}`))
      }
    },
    note(line) {
      write(noteIndent + line)
    },
  }
}
