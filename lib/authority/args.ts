// The flags of npm run deploy-test and promote: which digest (default: the manifest's), how long the
// rolled release gets to pass its probes, and whether to move the channel and wait for the hosts that
// follow it (--wait, up to --wait-timeout) instead of rolling each target from here.
import { parseArgs } from 'node:util'
import { flagsOrConfigError } from '../cli.ts'
import { ConfigError } from '../errors.ts'

export interface DeployArgs {
  digest: string | undefined
  probeTimeoutMs: number
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
    probeTimeoutMs: seconds('--probe-timeout', values['probe-timeout'], 3600) * 1000,
    wait: values.wait,
    waitTimeoutMs: seconds('--wait-timeout', values['wait-timeout'], 86_400) * 1000,
  }
}

function seconds(flag: string, value: string, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`${flag} ${JSON.stringify(value)}: must be whole seconds from 1 to ${max}`)
  return n
}
