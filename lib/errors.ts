// Named errors. lib/ throws these; only entry points turn them into an exit code.
// Every message says what failed and what to do next.

export class SfError extends Error {
  override name = 'SfError'
}

/** A bad value in the environment or on the command line; nothing has been changed yet. */
export class ConfigError extends SfError {
  override name = 'ConfigError'
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message)
  }
}

/** A build step failed or its inputs are missing. */
export class BuildError extends SfError {
  override name = 'BuildError'
}

/** A command the toolkit ran (git, npm, next) failed. */
export class CommandError extends SfError {
  override name = 'CommandError'
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(message)
  }
}

/** A signal stopped the command; what it had started was stopped and its secrets removed first. */
export class InterruptedError extends SfError {
  override name = 'InterruptedError'
  constructor(
    message: string,
    readonly signal: NodeJS.Signals,
  ) {
    super(message)
  }
}

/** A probe or wait did not succeed before its deadline. */
export class ProbeError extends SfError {
  override name = 'ProbeError'
}

/** No Docker Engine answers, or a docker build or run failed. */
export class DockerError extends SfError {
  override name = 'DockerError'
}
