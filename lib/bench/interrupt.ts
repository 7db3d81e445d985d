// Ctrl-C during a benchmark: the run is interrupted and removes what it made. npm and tsx relay one
// more copy of the signal, so later ones are ignored; a run that does not end within a minute is left.
import { BenchError } from './errors.ts'

export function interruptOnSignals(): AbortSignal {
  const interruption = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruption.signal.aborted) return
    process.stderr.write(`${signal}: stopping the benchmark and removing its containers, network, images and folders\n`)
    interruption.abort(new BenchError(`interrupted by ${signal}`))
    setTimeout(() => process.exit(130), 60_000).unref()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return interruption.signal
}
