// How a change of a site's server can end badly, for vega's history, the JSON outcome and the exit code.
import { SfError } from '../errors.ts'

/** An upgrade or rollback that did not happen; `outcome` says how it ended. */
export class UpgradeError extends SfError {
  override name = 'UpgradeError'
  constructor(
    message: string,
    readonly outcome: 'candidate-failed' | 'rolled-back',
    readonly rollback: string | null = null,
  ) {
    super(message)
  }
}

/** Putting the old prod back failed too: nothing may serve. */
export class RollbackError extends SfError {
  override name = 'RollbackError'
}
