// The flags of npm run deploy-test and promote: which digest (default: the manifest's) and how long the
// rolled release gets to pass its probes.
import { parseArgs } from 'node:util'
import { flagsOrConfigError } from '../cli.ts'
import { ConfigError } from '../errors.ts'

export interface DeployArgs {
  digest: string | undefined
  probeTimeoutMs: number
}

export function parseDeployArgs(args: string[]): DeployArgs {
  const { values } = flagsOrConfigError(() =>
    parseArgs({ args, options: { digest: { type: 'string' }, 'probe-timeout': { type: 'string', default: '120' }, verbose: { type: 'boolean' } } }),
  )
  const seconds = Number(values['probe-timeout'])
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`--probe-timeout ${JSON.stringify(values['probe-timeout'])}: must be whole seconds from 1 to 3600`)
  }
  return { digest: values.digest, probeTimeoutMs: seconds * 1000 }
}
