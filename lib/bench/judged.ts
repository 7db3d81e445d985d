// The rows of issue 16 in npm run bench:upgrade: upgrades judged by their traffic, through the front,
// under the load of a site's users (the page and an API route), on one front-mode prod built from the
// sandbox's own clone. A bad release (its page throws, its probes pass), committed in that clone and
// reverted after, without and with canary steps: how many 5xx its clients got, and how long from the
// switch to the switch back. A good release without and with the steps: what they and the analysis
// add to the upgrade's wall clock. It measures and records; it asserts no times.
import { describeVerdict, type Verdict } from '../front/analysis.ts'
import { UpgradeError } from '../front/errors.ts'
import type { Progress } from '../progress.ts'
import { candidateName } from '../front/site.ts'
import { vegaContext } from '../vega/context.ts'
import { readHistory, type HistoryEntry } from '../vega/history.ts'
import { upgradeVega } from '../vega/upgrade.ts'
import { BenchError } from './errors.ts'
import { allPaths, type PathCounts } from './figures.ts'
import { measureRun, type LoadPlan, type RunFigures } from './measure.ts'
import { withProd, type Prod, type ProdOptions } from './prod.ts'

const pagePath = '/'

/**
 * A site's users, as the container test of the analysis has them: a few clients on the page and on an
 * API route, each pausing between answers. Clients asking as fast as answers come would queue on this
 * machine's two cores, and the p95 the analysis compares would be the queue's, not the servers'.
 */
export const usersPlan: LoadPlan = {
  routes: [
    { path: pagePath, clients: 3 },
    { path: '/api/projects', clients: 2 },
  ],
  pauseMs: 20,
  errorPauseMs: 10,
  timeoutMs: 10_000,
  leadMs: 2000,
  tailMs: 2000,
  // What is measured is the upgrade itself, long enough (its build, the window): no floor of requests.
  minRequests: 0,
  maxExtraMs: 0,
  slowRequests: 0,
  slowHoldMs: 0,
  pollIntervalMs: 10,
}

/** docker:vega:upgrade's defaults: --step 30 and --settle 5, with the shares the issue names. */
export const judgedUpgrade = { canary: [10, 50], stepMs: 30_000, settleMs: 5000, probeDeadlineMs: 90_000 } as const

/** The bad release: the page throws on every request; /api/healthz, /api/ready, /api/version and /api/projects still pass. */
export const badPage = { file: 'web/app/page.tsx', start: 'export default async function Home() {\n', throws: "  throw new Error('broken on purpose by bench:upgrade')\n" }

export interface JudgedRun {
  release: 'bad' | 'good'
  canary: number[]
  stepMs: number
  settleMs: number
  /** The history entry's: how the upgrade ended, what it went from and to, and what it threw. */
  outcome: HistoryEntry['outcome'] | null
  from: HistoryEntry['from']
  to: HistoryEntry['to']
  error: string | null
  /** The failing verdict, else the last one: rule, reason, and the old and new server's figures. */
  decided: Verdict | null
  verdicts: Verdict[]
  /** The history entry's phases, in ms. */
  phasesMs: Record<string, number>
  run: RunFigures
}

export interface JudgedRows {
  badNoCanary: JudgedRun
  badCanary: JudgedRun
  goodNoCanary: JudgedRun
  goodCanary: JudgedRun
  /** The good release's wall clock with the canary steps minus without them. */
  stepsAddMs: number
}

export async function judgedRows(o: ProdOptions): Promise<JudgedRows> {
  return withProd({ ...o, scratchCheckout: true }, 'front', async (prod) => {
    const checkout = prod.sandbox.checkout
    if (!checkout) throw new BenchError(`${prod.sandbox.name} has no scratch checkout to commit the bad release in`)
    const bad = async (label: string, canary: number[]) => {
      await checkout.commit(badPage.file, (t) => t.replace(badPage.start, badPage.start + badPage.throws), 'bench:upgrade: a page that throws, its probes pass')
      try {
        return await judgedRun(prod, o.progress, label, 'bad', canary)
      } finally {
        await checkout.revert()
      }
    }
    const badNoCanary = await bad('D', [])
    const badCanary = await bad('E', [...judgedUpgrade.canary])
    const goodNoCanary = await judgedRun(prod, o.progress, 'F', 'good', [])
    const goodCanary = await judgedRun(prod, o.progress, 'G', 'good', [...judgedUpgrade.canary])
    return { badNoCanary, badCanary, goodNoCanary, goodCanary, stepsAddMs: goodCanary.run.wallClockMs - goodNoCanary.run.wallClockMs }
  })
}

/**
 * upgradeVega under the users' load. The switch is where the new server starts taking requests: the
 * first canary step's `switch the front to slot … for 10% of requests`, or without steps `give slot …
 * every request`. A release judged bad ends in an UpgradeError, which is a figure here, not a failure.
 */
async function judgedRun(prod: Prod, progress: Progress, label: string, release: JudgedRun['release'], canary: number[]): Promise<JudgedRun> {
  const { sandbox } = prod
  const how = canary.length ? `--canary ${canary.join(',')} --step ${judgedUpgrade.stepMs / 1000}` : 'no canary steps'
  const done = progress.phase(`run ${label}: upgrade ${sandbox.name} to a ${release} release, ${how}, users on / and /api/projects`)
  let error: string | null = null
  const run = await measureRun(prod.target, usersPlan, {
    switchPhase: canary.length ? 'switch the front to slot' : 'give slot',
    switchBackPhase: `switch back to ${sandbox.name}`,
    sendSlowAfterPhase: `start ${candidateName(sandbox.name)}`,
    run: async ({ report }) => {
      const ctx = { ...vegaContext(prod.ctx.root, sandbox.env, report), progress: report }
      const { stepMs, settleMs, probeDeadlineMs } = judgedUpgrade
      try {
        await upgradeVega(ctx, { dryRun: false, lockWaitMs: 0, probeDeadlineMs, settleMs, canary, stepMs: canary.length ? stepMs : 0, command: 'bench' })
      } catch (caught) {
        if (!(caught instanceof UpgradeError)) throw caught
        error = caught.message
      }
    },
  })
  const entry = (await readHistory(sandbox.sfHome, 1))[0] ?? null
  const verdicts = entry?.analysis ?? []
  const result: JudgedRun = {
    release,
    canary,
    stepMs: canary.length ? judgedUpgrade.stepMs : 0,
    settleMs: judgedUpgrade.settleMs,
    outcome: entry?.outcome ?? null,
    from: entry?.from ?? null,
    to: entry?.to ?? null,
    error,
    decided: verdicts.find((v) => v.decision === 'fail') ?? verdicts.at(-1) ?? null,
    verdicts,
    phasesMs: entry?.phases ?? {},
    run,
  }
  done(summary(result))
  return result
}

/** One line: how it ended, what the clients got, and the verdict that decided. */
export function summary(r: JudgedRun): string {
  const requests = r.run.switchBack?.requests
  const all = requests?.wholeRun[allPaths]
  const got = (c: PathCounts | undefined) => (c ? `${c.status5xx} 5xx of ${c.requests}` : 'none')
  const clients = `clients got ${got(all)} requests (${Object.entries(requests?.wholeRun ?? {})
    .filter(([path]) => path !== allPaths)
    .map(([path, c]) => `${path} ${got(c)}`)
    .join(', ')}), ${all ? all.otherFailed : '?'} other failures`
  const back = r.run.switchBack?.afterSwitchMs
  const page = requests?.switchToSwitchBack[pagePath]
  const switched = back == null ? 'no switch back' : `switch back ${back} ms after the switch, ${got(page)} page requests between (${page?.percent5xx ?? '-'}%)`
  const verdict = r.decided ? describeVerdict(r.decided)[0] : 'no verdict'
  return `${r.outcome ?? 'no history entry'} in ${r.run.wallClockMs} ms; ${clients}; ${switched}; ${verdict}`
}
