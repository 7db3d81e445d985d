// What every entry point shares: print `error: <message>` and set a non-zero exit code.
// Only entry points end the process; lib/ throws.
import os from 'node:os'
import { ConfigError, InterruptedError, SfError } from './errors.ts'

/** parseArgs, with an unknown or malformed flag reported as bad input (exit 2), not as a crash. */
export function flagsOrConfigError<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
}

/** Exit codes: 1 for a failure, 2 for bad input (nothing was changed), 128+signal when a signal stopped it. */
export async function runEntry(main: () => Promise<number | void>, argv: readonly string[] = process.argv): Promise<void> {
  try {
    const code = await main()
    if (typeof code === 'number') process.exitCode = code
  } catch (error) {
    const verbose = argv.includes('--verbose') || process.env.SF_VERBOSE === '1'
    const known = error instanceof SfError
    process.stderr.write(`error: ${known && !verbose ? error.message : ((error as Error).stack ?? String(error))}\n`)
    process.exitCode = error instanceof ConfigError ? 2 : error instanceof InterruptedError ? 128 + os.constants.signals[error.signal] : 1
  }
}

