// What this host's deployment controller last reported, as the server answers it: the copy the
// controller writes whole into the server's own SF_HOME after each check. Read on every request, so
// the answer is never older than the file.
import path from 'node:path'
import { readControllerState, servedStateFile, type ControllerState } from '../../lib/server/controller-state.ts'
import { serverContext } from './context.ts'

/** Null where no controller runs, or its file does not parse. */
export function servedControllerState(): ControllerState | null {
  return readControllerState(path.join(serverContext().config.SF_HOME, servedStateFile))
}
