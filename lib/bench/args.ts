// The flags of npm run bench:upgrade and bench:front: load, held requests and (for bench:upgrade) the
// steady runs, each a whole number in its range, refused with the usage otherwise.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError } from '../errors.ts'
import { benchDefaults } from './bench-upgrade.ts'

export interface BenchArgs {
  clients: number
  slowRequests: number
  slowHoldMs: number
  /** The steady runs of bench:upgrade (its flag only there; the default elsewhere). */
  steadySeconds: number
}

/** `slowWhen`: when the held requests must be in flight, for the usage text. */
export function benchUsage(script: string, o: { slowWhen: string; steady: boolean }): string {
  return [
    `usage: npm run ${script} [-- --clients N] [--slow N] [--slow-ms MS]${o.steady ? ' [--steady-s S]' : ''} [--verbose]`,
    `  --clients N    keep-alive clients looping GET /api/healthz (default ${benchDefaults.clients})`,
    `  --slow N       held requests in flight when ${o.slowWhen} (default ${benchDefaults.slowRequests})`,
    `  --slow-ms MS   how long each is held (default ${benchDefaults.slowHoldMs})`,
    ...(o.steady ? [`  --steady-s S   length of each steady run, nothing changing: the price of the front's hop (default ${benchDefaults.steadySeconds})`] : []),
  ].join('\n')
}

export function parseBenchArgs(args: string[], script: string, o: { slowWhen: string; steady: boolean }): BenchArgs {
  const usage = benchUsage(script, o)
  const flags: ParseArgsConfig['options'] = { clients: { type: 'string' }, slow: { type: 'string' }, 'slow-ms': { type: 'string' }, verbose: { type: 'boolean' } }
  if (o.steady) flags['steady-s'] = { type: 'string' }
  let values: ReturnType<typeof parseArgs>['values']
  try {
    ;({ values } = parseArgs({ args, options: flags }))
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${usage}`)
  }
  const count = (flag: string, fallback: number, min: number, max: number) => {
    const raw = values[flag] as string | undefined
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`--${flag} ${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}\n${usage}`)
    return Number(raw)
  }
  return {
    clients: count('clients', benchDefaults.clients, 1, 256),
    slowRequests: count('slow', benchDefaults.slowRequests, 1, 64),
    slowHoldMs: count('slow-ms', benchDefaults.slowHoldMs, 1, 600_000),
    steadySeconds: count('steady-s', benchDefaults.steadySeconds, 1, 600),
  }
}
