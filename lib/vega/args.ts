// The flags of docker:vega:upgrade, :rollback and :status.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from '../errors.ts'

export interface UpgradeArgs {
  json: boolean
  dryRun: boolean
  lockWaitMs: number
  probeDeadlineMs: number
  /** Behind the front: how long the new server must stay green before the old one is removed. */
  settleMs: number
  /** Behind the front: the new server's shares in % before it takes every request (--canary 10,50). */
  canary: number[]
  /** How long each canary step lasts. */
  stepMs: number
  /** Also append the JSON events to this file (a server streams it to the page). */
  eventsFile: string | undefined
  /** The upgrader container this run is, when a server started it (recorded in the lock). */
  container: string | undefined
}

export const upgradeUsage = `flags:
  --json               stream the progress events as JSON lines on stdout
  --dry-run            print the plan with its docker commands and change nothing (upgrade only)
  --lock-wait <s>      wait up to <s> seconds for another upgrade to finish (default 0: refuse)
  --probe-timeout <s>  how long the candidate and the new prod get to pass their probes (default 90)
  --settle <s>         behind the front (SF_VEGA_FRONT=haproxy): how long the new server must stay green
                       before the old one is removed; a failure inside it switches back (default 5)
  --canary <p,p…>      behind the front: give the new server these shares of the requests (in %, rising,
                       each 1-99) one step at a time, judged at each step, before it takes them all
  --step <s>           how long each canary step lasts (default 30)
  --events-file <f>    also append the JSON events to <f>, an absolute path (set by the server's upgrade endpoint)
  --container <name>   this run is the upgrader container <name> (set by the server): recorded in the lock`

/** `dryRun: false` for the commands that have no dry run, so the flag is refused rather than ignored. */
export function parseUpgradeArgs(argv: string[], accepts: { dryRun: boolean } = { dryRun: true }): UpgradeArgs {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'lock-wait': { type: 'string' }, 'probe-timeout': { type: 'string' }, settle: { type: 'string' }, canary: { type: 'string' }, step: { type: 'string' }, 'events-file': { type: 'string' }, container: { type: 'string' }, verbose: { type: 'boolean' } },
    }))
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n${upgradeUsage}`)
  }
  const seconds = (flag: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback * 1000
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > 86_400) throw new ConfigError(`--${flag} ${JSON.stringify(raw)}: must be a whole number of seconds from ${min} to 86400`)
    return Number(raw) * 1000
  }
  if (values['dry-run'] && !accepts.dryRun) throw new ConfigError('--dry-run: only docker:vega:upgrade has a dry run; docker:vega:status shows what a rollback would put back (the previous release)')
  if (values.step !== undefined && values.canary === undefined) throw new ConfigError('--step: sets how long each canary step lasts, so it needs --canary (such as --canary 10,50 --step 30)')
  const eventsFile = values['events-file']
  if (eventsFile !== undefined && !path.isAbsolute(eventsFile)) throw new ConfigError(`--events-file ${JSON.stringify(eventsFile)}: must be an absolute path`)
  const container = values.container
  if (container !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(container)) throw new ConfigError(`--container ${JSON.stringify(container)}: must be a container name`)
  return {
    json: values.json ?? false,
    dryRun: values['dry-run'] ?? false,
    lockWaitMs: seconds('lock-wait', values['lock-wait'], 0, 0),
    probeDeadlineMs: seconds('probe-timeout', values['probe-timeout'], 90, 1),
    settleMs: seconds('settle', values.settle, 5, 0),
    canary: parseCanary(values.canary),
    stepMs: seconds('step', values.step, 30, 1),
    eventsFile,
    container,
  }
}

/** `--canary 10,50`: rising shares in %, each a whole number from 1 to 99. */
export function parseCanary(raw: string | undefined): number[] {
  if (raw === undefined) return []
  const shares = raw.split(',').map((p) => p.trim())
  const bad = shares.find((p) => !/^\d{1,2}$/.test(p) || Number(p) < 1)
  if (bad !== undefined || shares.length > 10) {
    throw new ConfigError(`--canary ${JSON.stringify(raw)}: must be up to 10 shares in %, each a whole number from 1 to 99, separated by commas (such as --canary 10,50)${bad === undefined ? '' : `; ${JSON.stringify(bad)} is not one`}`)
  }
  const numbers = shares.map(Number)
  if (numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) throw new ConfigError(`--canary ${JSON.stringify(raw)}: the shares must rise (such as 10,50): each step gives the new server more of the requests`)
  return numbers
}
