// How a publish, a rollout or a promotion can end badly.
import { ConfigError, SfError } from '../errors.ts'

/** promote was given a digest without the evidence that it passed test's probes; nothing was changed. */
export class PromotionRefusedError extends ConfigError {
  override name = 'PromotionRefusedError'
}

/** A rollout failed its wait or its probes; `rolledBack` says whether the previous template is back. */
export class RolloutError extends SfError {
  override name = 'RolloutError'
  constructor(
    message: string,
    readonly rolledBack: boolean,
  ) {
    super(message)
  }
}

/** The registry did not answer a question properly (refused, unreachable, denied): nothing is known, nothing was changed. */
export class RegistryError extends SfError {
  override name = 'RegistryError'
}

/** docker push (or reading what it pushed) failed. */
export class PublishError extends SfError {
  override name = 'PublishError'
}

/** The GitOps repository could not be fetched from or refused the push; the checkout is as it was. */
export class GitopsError extends SfError {
  override name = 'GitopsError'
}
