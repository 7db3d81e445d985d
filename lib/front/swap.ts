// Replacing prod behind the front, without a gap: the new server starts in the free slot and is proven
// on its own port; the front's runtime API makes its slot ready and, once the front's own check sees it
// up, gives it a share of the requests in canary steps (weights), then every request, draining the old
// slot. The old server keeps running until the new one has passed a settle window. Each step and the
// window judge the new server by its probes and by what its users got (analysis.ts, from the front's
// traffic ring and counters); a failure switches back to the old server at once. Only then is the old
// server drained with docker stop (the site's drain time) and removed.
import { removeContainerArgs, renameArgs, startArgs, updateRestartArgs, type ContainerSpec } from '../docker/args.ts'
import { drainContainer, showLogs } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer } from '../docker/inspect.ts'
import { ProbeError } from '../errors.ts'
import { fetchAnswer, urlOf } from '../probe.ts'
import { proveCandidate } from './candidate.ts'
import { figuresOf, judge, type Figures, type Rules, type Verdict } from './analysis.ts'
import { frontName, fullWeight, otherSlot, type Slot } from './definition.ts'
import { UpgradeError } from './errors.ts'
import { probeServer, type Expected } from './probes.ts'
import { activeSlot, admitSlot, readSlots, setSlotState, setSlotWeight, waitForSlot } from './runtime-api.ts'
import { frontPaths, writeFrontConfig } from './setup.ts'
import { asideName, type FrontSite } from './site.ts'
import { readTraffic, trafficRingMissing, type TrafficReader } from './traffic.ts'

/** The port a server in `slot` publishes on loopback for its direct probes; prod keeps it after the switch. */
export const slotPort = (port: number, slot: Slot) => port + (slot === 'a' ? 1 : 2)

/** Behind the front a server's own port is for the deploy scripts' probes only: loopback, whatever the site's bind is. */
export const slotProbeHost = '127.0.0.1'

/** How often the settle window looks: well inside the two failed checks (2 x 250 ms) the front needs to give up on a server. */
const settlePollMs = 100

/** How long the old server's open requests get after the settle window before its drain starts. */
const lingerMs = 5000

export interface FrontSwapOptions {
  /**
   * The new server's container for a slot and its probe port: named `<name>-candidate`, labelled with
   * its slot (sf.vega.slot), joined to the front's network under the slot's alias, never restarted.
   */
  serverSpec: (slot: Slot, port: number) => ContainerSpec
  expected: Expected
  probeHost: string
  probeDeadlineMs: number
  /** How long the new server must stay green behind the front before the old one is removed. */
  settleMs: number
  /** The new server's shares in % (ascending, under 100) before it takes every request; none: straight to all. */
  canary: number[]
  /** How long each canary step lasts. */
  stepMs: number
  /** How the numbers judge the new server (see analysis.ts); null: the probes alone, as for up and rollback. */
  rules: Rules | null
  /** Told each verdict as it is reached, so a page can show a step before the next one. */
  onVerdict?: (verdict: Verdict) => void
}

export type FrontSwapOutcome = { swapped: true; slot: Slot; analysis: Verdict[] } | { swapped: false; error: string; rollback: string; analysis: Verdict[] }

/**
 * Why this front cannot run canary steps, or null. Both slots must be peers (a front made before canary
 * steps started its free slot as a backup, which takes no share while the other is up) and the front
 * must keep its traffic ring. Asked before anything is built.
 */
export async function canaryRefusal(site: FrontSite): Promise<string | null> {
  const { socket } = frontPaths(site)
  const backup = (await readSlots(socket)).find((s) => s.backup)
  const ring = await trafficRingMissing(socket)
  if (!backup && !ring) return null
  const why = backup ? `its slot ${backup.slot} was started as a backup, which takes no share while the other slot is up` : ring
  return `--canary: the front ${frontName(site.name)} was made before canary steps (${why}); run ${site.words.repair} first, which replaces it with no gap, or upgrade without --canary`
}

export async function frontSwap(site: FrontSite, o: FrontSwapOptions): Promise<FrontSwapOutcome> {
  const { socket } = frontPaths(site)
  // Read from the start: the ring's recent past is the old server's baseline.
  const traffic = o.rules ? readTraffic(socket) : null
  try {
    return await swapWatched(site, o, traffic)
  } finally {
    traffic?.stop()
  }
}

async function swapWatched(site: FrontSite, o: FrontSwapOptions, traffic: TrafficReader | null): Promise<FrontSwapOutcome> {
  const { name, env, progress } = site
  const { socket } = frontPaths(site)
  const old = activeSlot(await readSlots(socket))
  const slot: Slot = old ? otherSlot(old) : 'a'
  const port = slotPort(site.port, slot)
  const candidate = o.serverSpec(slot, port)
  await proveCandidate(site, candidate, o.expected, urlOf(slotProbeHost, port), o.probeDeadlineMs)

  const analysis: Verdict[] = []
  const record = (verdict: Verdict) => {
    analysis.push(verdict)
    o.onVerdict?.(verdict)
  }
  const watch: Watch = { site, o, traffic, socket, slot, old, container: candidate.name }
  const failed = async (verdict: Verdict): Promise<FrontSwapOutcome> => {
    record(verdict)
    // Back first, words after: the front's own check turns a failing server down within half a
    // second, and until the old slot is ready again nothing would answer.
    const rollback = await switchBack(site, slot, old, candidate.name)
    progress.note(`new server ${candidate.name} failed (${verdict.stage}): ${verdict.reason}`)
    await showLogs(candidate.name, env, progress)
    await retire(site, candidate.name)
    return { swapped: false, error: verdict.reason, rollback, analysis }
  }

  const steps = old ? o.canary : []
  let done = progress.phase(`switch the front to slot ${slot} (${candidate.name})${steps.length ? ` for ${steps[0]}% of requests` : ''}`)
  if (steps.length) await setShares(socket, slot, steps[0]!)
  if (!(await admitSlot(socket, slot, o.probeDeadlineMs))) {
    await showLogs(candidate.name, env, progress)
    await docker(removeContainerArgs(candidate.name, { force: true }), { env, allowFailure: true })
    await setShares(socket, slot, 100)
    throw new UpgradeError(`the front's health check never saw ${candidate.name} ready on /api/ready, so ${name} was not touched`, 'candidate-failed')
  }
  // The old server's baseline: what it answered in the time before the new one took a request.
  const switchedAt = traffic?.requests.length ?? 0
  const baseline = traffic && old ? baselineOf(traffic, old, switchedAt, o.rules!) : null
  done(steps.length ? `the old slot ${old} keeps ${100 - steps[0]!}%` : undefined)

  for (const share of steps) {
    await setShares(socket, slot, share)
    done = progress.phase(`canary ${share}%: judge ${candidate.name} beside the old server for ${o.stepMs / 1000}s`)
    const verdict = await observe(watch, { stage: `canary ${share}%`, share }, o.stepMs, baseline, urlOf(slotProbeHost, port))
    if (verdict.decision === 'fail') return await failed(verdict)
    record(verdict)
    done(verdict.reason)
  }

  done = progress.phase(`give slot ${slot} every request`)
  // The window's numbers count from here: the probes through the front come first, and users' requests
  // meanwhile are the new server's too.
  const allIn = await mark(watch)
  await setSlotWeight(socket, slot, fullWeight)
  if (old) await setSlotState(socket, old, 'drain')
  await writeFrontConfig(site, slot)
  done(old ? `slot ${old} drains` : 'first server behind the front')

  // The old server keeps running, drained by the front, until the new one has settled: switching back
  // is then one runtime API call, and no request is lost to a restart.
  const settled = await settle(watch, baseline, allIn)
  if (settled.decision === 'fail') return await failed(settled)
  if (o.settleMs > 0 && o.rules) record(settled)
  if (old) {
    // Short requests are over by now. Slow work and long-lived streams may remain: the server's own
    // drain lets the work finish and ends the streams, so this wait is short.
    done = progress.phase(`wait until the front has no request left on slot ${old}`)
    const idle = await waitForSlot(socket, old, (s) => s.sessions === 0, lingerMs)
    const left = (await readSlots(socket)).find((s) => s.slot === old)?.sessions ?? 0
    done(idle ? undefined : `${left} still open: the drain lets work finish and ends streams`)
  }
  if (await inspectContainer(name, env)) {
    await drainContainer(name, site.drainStopSeconds, env, progress)
    await docker(renameArgs(name, asideName(name)), { env, allowFailure: true })
  }
  await docker(renameArgs(candidate.name, name), { env })
  await docker(updateRestartArgs(name, 'unless-stopped'), { env })
  done = progress.phase('clean up')
  await docker(removeContainerArgs(asideName(name), { force: true }), { env, allowFailure: true })
  if (old) {
    await setSlotState(socket, old, 'maint')
    await setSlotWeight(socket, old, fullWeight)
  }
  done()
  return { swapped: true, slot, analysis }
}

/** Give the new slot `share` % of the requests and the old one the rest (both full at 100). */
async function setShares(socket: string, slot: Slot, share: number): Promise<void> {
  const weight = Math.round((share / 100) * fullWeight)
  await setSlotWeight(socket, slot, weight)
  await setSlotWeight(socket, otherSlot(slot), share >= 100 ? fullWeight : fullWeight - weight)
}

/** What the old server answered in the `baselineSeconds` before the new one took its first request. */
function baselineOf(traffic: TrafficReader, old: Slot, until: number, rules: Rules): Figures {
  const since = Math.floor(Date.now() / 1000) - rules.baselineSeconds
  return figuresOf(traffic.requests.slice(0, until).filter((r) => r.at >= since), old, 0)
}

/** What a stage is judged from. */
interface Watch {
  site: FrontSite
  o: FrontSwapOptions
  traffic: TrafficReader | null
  socket: string
  slot: Slot
  old: Slot | null
  container: string
}

/** How often the numbers are judged while a stage runs; the probes and error counters are read every settlePollMs. */
const judgeEveryMs = 500

/** Where a stage starts: the requests read so far, and the front's error counters of both slots. */
interface Mark {
  from: number
  errors: { now: number; old: number }
}

async function errorCounters(w: Watch): Promise<Mark['errors']> {
  const states = await readSlots(w.socket)
  return { now: states.find((s) => s.slot === w.slot)?.errors ?? 0, old: states.find((s) => s.slot === w.old)?.errors ?? 0 }
}

async function mark(w: Watch): Promise<Mark> {
  return { from: w.traffic?.requests.length ?? 0, errors: await errorCounters(w) }
}

/**
 * Watch the new server for `ms`: its /api/ready at `readyUrl` answering 200, no connection or response
 * error counted against it, and its numbers (every judgeEveryMs, and once more at the end) against the
 * old server's beside it or, with too few of those, the baseline. The first failure ends it. The
 * numbers count from `since` (by default now).
 */
async function observe(w: Watch, stage: { stage: string; share: number }, ms: number, baseline: Figures | null, readyUrl: string, since?: Mark): Promise<Verdict> {
  const { slot, old, traffic } = w
  const counters = () => errorCounters(w)
  const { from, errors: start } = since ?? (await mark(w))
  const figures = async () => {
    const c = await counters()
    const requests = traffic?.requests.slice(from) ?? []
    const beside = old ? figuresOf(requests, old, c.old - start.old) : null
    const against = beside && w.o.rules && beside.requests >= w.o.rules.minRequests ? beside : baseline
    return { now: figuresOf(requests, slot, c.now - start.now), against }
  }
  const verdict = async (final: boolean): Promise<Verdict> => {
    const f = await figures()
    const base = { ...stage, old: f.against, new: f.now }
    // No rules (up, rollback): the probes and the front's error counters alone.
    if (!w.o.rules) {
      if (!f.now.errors) return { ...base, decision: 'pass', rule: 'probes', reason: 'the probes passed' }
      return { ...base, decision: 'fail', rule: 'errors', reason: `the front counted ${f.now.errors} connection or response error(s) against the new server` }
    }
    const judged = judge(stage, f.against, f.now, w.o.rules, final)
    if (traffic?.unavailable && final && judged.decision !== 'fail') return { ...judged, decision: 'inconclusive', rule: 'probes', reason: `inconclusive: ${traffic.unavailable}` }
    return judged
  }
  const end = Date.now() + ms
  let judgedAt = Date.now()
  while (Date.now() < end) {
    const ready = await fetchAnswer(`${readyUrl}/api/ready`, { timeoutMs: 3000 }).catch((e: Error) => ({ status: 0, text: e.message }))
    if (ready.status !== 200) {
      const when = stage.share === 100 ? 'inside the settle window' : `in the ${stage.stage} step`
      return { ...(await verdict(false)), decision: 'fail', rule: 'probes', reason: `${readyUrl}/api/ready answered ${ready.status || 'nothing'} ${when}` }
    }
    const quick = (await counters()).now - start.now
    if (quick > 0 || Date.now() - judgedAt >= judgeEveryMs) {
      judgedAt = Date.now()
      const v = await verdict(false)
      if (v.decision === 'fail') return v
    }
    await new Promise((r) => setTimeout(r, settlePollMs))
  }
  return verdict(true)
}

/**
 * The settle window: the new prod's probes through the front, then, for `settleMs`, the new server
 * watched as in a canary step with every request its own (see observe).
 */
async function settle(w: Watch, baseline: Figures | null, since: Mark): Promise<Verdict> {
  const { site, o, container } = w
  const url = urlOf(o.probeHost, site.port)
  const stage = { stage: 'settle', share: 100 }
  const done = site.progress.phase(`settle: ${container} green through ${url} for ${o.settleMs / 1000}s`)
  try {
    await probeServer(url, o.expected, { deadlineMs: o.probeDeadlineMs, container, env: site.env })
  } catch (error) {
    const none = { requests: 0, errors5xx: 0, errors: 0, p50Ms: null, p95Ms: null }
    return { ...stage, decision: 'fail', rule: 'probes', reason: (error as Error).message, old: baseline, new: none }
  }
  const verdict = await observe(w, stage, o.settleMs, baseline, url, since)
  if (verdict.decision !== 'fail') done(o.rules && o.settleMs > 0 ? verdict.reason : undefined)
  return verdict
}

/** Put the old server back: it still runs, drained or beside the new one; give it every request and hold the new one out. */
async function switchBack(site: FrontSite, failed: Slot, old: Slot | null, candidate: string): Promise<string> {
  const { name, env, progress } = site
  const { socket } = frontPaths(site)
  const done = progress.phase(`switch back to ${name}`)
  const oldState = (await readSlots(socket)).find((s) => s.slot === old)
  // The usual cases first, with no docker call in the way: the old server runs, checked, and either
  // still takes its share (a canary step) or is drained.
  if (old && oldState?.up && !oldState.maint && !oldState.draining) {
    await setSlotWeight(socket, old, fullWeight)
    await setSlotState(socket, failed, 'maint')
  } else if (old && (await admitSlot(socket, old, 2000))) {
    await setSlotWeight(socket, old, fullWeight)
    await setSlotState(socket, failed, 'maint')
  } else {
    const oldProd = await inspectContainer(name, env)
    if (!oldProd || !old) {
      done('nothing to switch back to')
      await setSlotWeight(socket, failed, fullWeight)
      await docker(renameArgs(candidate, name), { env })
      await docker(updateRestartArgs(name, 'unless-stopped'), { env })
      throw new UpgradeError(`the new ${name} failed inside the settle window and there is no previous server to switch back to; it keeps serving`, 'rolled-back')
    }
    if (!oldProd.running) await docker(startArgs(name), { env })
    if (!(await admitSlot(socket, old, 60_000))) throw new ProbeError(`the old server ${name} did not turn ready behind the front again; see docker logs ${name}`)
    await setSlotWeight(socket, old, fullWeight)
    await setSlotState(socket, failed, 'maint')
  }
  await setSlotWeight(socket, failed, fullWeight)
  await writeFrontConfig(site, old)
  done(`old ${name} serves again`)
  return `switched the front back to the old ${name}, which serves again`
}

/** Drained, not killed: a request it is answering, or the front's idle connection to it, ends cleanly. */
async function retire(site: FrontSite, container: string): Promise<void> {
  const { env, progress } = site
  await drainContainer(container, site.drainStopSeconds, env, progress)
  await docker(removeContainerArgs(container, { force: true }), { env, allowFailure: true })
}
