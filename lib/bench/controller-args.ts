// The flags of npm run bench:controller: the fleets' sizes, the intervals and the idle checks, each in
// its range, refused with the usage otherwise.
import { parseArgs } from 'node:util'
import { ConfigError } from '../errors.ts'
import { controllerBenchDefaults as defaults } from './controller.ts'

export interface ControllerBenchArgs {
  hosts: number[]
  intervalS: number
  fastIntervalS: number | null
  idleChecks: number
}

export const controllerBenchUsage = [
  'usage: npm run bench:controller [-- --hosts 1,2,4] [--interval S] [--fast-interval S] [--idle-checks N] [--verbose]',
  `  --hosts 1,2,4      the fleets' sizes, each from 1 to 8, measured in this order (default ${defaults.hosts.join(',')})`,
  `  --interval S       their SF_CONTROLLER_INTERVAL (default ${defaults.intervalS}, the toolkit's)`,
  `  --fast-interval S  one more fleet of one host with this interval, 0 for none (default ${defaults.fastIntervalS})`,
  `  --idle-checks N    idle checks watched on that fleet, else on the first (default ${defaults.idleChecks})`,
].join('\n')

export function parseControllerBenchArgs(args: string[]): ControllerBenchArgs {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({ args, options: { hosts: { type: 'string' }, interval: { type: 'string' }, 'fast-interval': { type: 'string' }, 'idle-checks': { type: 'string' }, verbose: { type: 'boolean' } } }))
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${controllerBenchUsage}`)
  }
  const whole = (flag: string, raw: string, min: number, max: number) => {
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`--${flag} ${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}\n${controllerBenchUsage}`)
    return Number(raw)
  }
  const count = (flag: string, fallback: number, min: number, max: number) => {
    const raw = values[flag] as string | undefined
    return raw === undefined ? fallback : whole(flag, raw, min, max)
  }
  const hosts = values.hosts === undefined ? [...defaults.hosts] : (values.hosts as string).split(',').map((n) => whole('hosts', n.trim(), 1, 8))
  const fast = count('fast-interval', defaults.fastIntervalS, 0, 3600)
  return { hosts, intervalS: count('interval', defaults.intervalS, 1, 3600), fastIntervalS: fast === 0 ? null : fast, idleChecks: count('idle-checks', defaults.idleChecks, 1, 200) }
}
