// The web host's log: one line per event on stderr, which the loader and docker pass on.
export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} sf: ${message}\n`)
}
