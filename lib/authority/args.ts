// The flags of npm run deploy-test and promote: which digest (default: the manifest's), how long the
// rolled release gets to pass its probes, and whether (and how long) to wait for a target that is
// rolled by someone else (Argo CD or Flux) to run it.
import { parseArgs } from 'node:util'
import { flagsOrConfigError } from '../cli.ts'
import { ConfigError } from '../errors.ts'

export interface DeployArgs {
  digest: string | undefined
  probeTimeoutMs: number
  /** Wait until the target's url reports the release (a gitops target: after the push). */
  wait: boolean
  waitTimeoutMs: number
}

export function parseDeployArgs(args: string[]): DeployArgs {
  const { values } = flagsOrConfigError(() =>
    parseArgs({
      args,
      options: {
        digest: { type: 'string' },
        'probe-timeout': { type: 'string', default: '120' },
        wait: { type: 'boolean', default: false },
        'wait-timeout': { type: 'string', default: '900' },
        verbose: { type: 'boolean' },
      },
    }),
  )
  return {
    digest: values.digest,
    probeTimeoutMs: wholeSeconds('--probe-timeout', values['probe-timeout'], 3600) * 1000,
    wait: values.wait,
    waitTimeoutMs: wholeSeconds('--wait-timeout', values['wait-timeout'], 86_400) * 1000,
  }
}

function wholeSeconds(flag: string, value: string, max: number): number {
  const seconds = Number(value)
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > max) throw new ConfigError(`${flag} ${JSON.stringify(value)}: must be whole seconds from 1 to ${max}`)
  return seconds
}
