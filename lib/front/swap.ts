// Replacing prod behind the front, without a gap: the new server starts in the free slot and is proven
// on its own port; the front's runtime API makes its slot ready and, once the front's own check sees it
// up, drains the old slot. The old server keeps running, with no request sent to it, until the new one
// has passed a settle window; a failure inside the window switches back to it at once. Only then is it
// drained with docker stop (the site's drain time) and removed.
import { removeContainerArgs, renameArgs, startArgs, updateRestartArgs, type ContainerSpec } from '../docker/args.ts'
import { drainContainer, showLogs } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer } from '../docker/inspect.ts'
import { ProbeError } from '../errors.ts'
import { fetchAnswer, urlOf } from '../probe.ts'
import { proveCandidate } from './candidate.ts'
import { otherSlot, type Slot } from './definition.ts'
import { UpgradeError } from './errors.ts'
import { probeServer, type Expected } from './probes.ts'
import { activeSlot, admitSlot, readSlots, setSlotState, waitForSlot } from './runtime-api.ts'
import { frontPaths, writeFrontConfig } from './setup.ts'
import { asideName, type FrontSite } from './site.ts'

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
}

export type FrontSwapOutcome = { swapped: true; slot: Slot } | { swapped: false; error: string; rollback: string }

export async function frontSwap(site: FrontSite, o: FrontSwapOptions): Promise<FrontSwapOutcome> {
  const { name, env, progress } = site
  const { socket } = frontPaths(site)
  const old = activeSlot(await readSlots(socket))
  const slot: Slot = old ? otherSlot(old) : 'a'
  const port = slotPort(site.port, slot)
  const candidate = o.serverSpec(slot, port)
  await proveCandidate(site, candidate, o.expected, urlOf(slotProbeHost, port), o.probeDeadlineMs)

  let done = progress.phase(`switch the front to slot ${slot} (${candidate.name})`)
  if (!(await admitSlot(socket, slot, o.probeDeadlineMs))) {
    await showLogs(candidate.name, env, progress)
    await docker(removeContainerArgs(candidate.name, { force: true }), { env, allowFailure: true })
    throw new UpgradeError(`the front's health check never saw ${candidate.name} ready on /api/ready, so ${name} was not touched`, 'candidate-failed')
  }
  if (old) await setSlotState(socket, old, 'drain')
  await writeFrontConfig(site, slot)
  done(old ? `slot ${old} drains` : 'first server behind the front')

  // The old server keeps running, drained by the front, until the new one has settled: switching back
  // is then one runtime API call, and no request is lost to a restart.
  const error = await settle(site, slot, candidate.name, o)
  if (error) {
    // Back first, words after: the front's own check turns the failing server down within half a
    // second, and until the old slot is ready again nothing would answer.
    const rollback = await switchBack(site, slot, old, candidate.name)
    progress.note(`new server ${candidate.name} failed inside the settle window: ${error}`)
    await showLogs(candidate.name, env, progress)
    await retire(site, candidate.name)
    return { swapped: false, error, rollback }
  }
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
  if (old) await setSlotState(socket, old, 'maint')
  done()
  return { swapped: true, slot }
}

/**
 * The settle window: the new prod's probes through the front, then, for `settleMs`, /api/ready through
 * the front answering 200 and the front counting no connection or response error against its slot.
 * Returns what went wrong, or null.
 */
async function settle(site: FrontSite, slot: Slot, container: string, o: FrontSwapOptions): Promise<string | null> {
  const { env, progress } = site
  const url = urlOf(o.probeHost, site.port)
  const done = progress.phase(`settle: ${container} green through ${url} for ${o.settleMs / 1000}s`)
  try {
    await probeServer(url, o.expected, { deadlineMs: o.probeDeadlineMs, container, env })
  } catch (error) {
    return (error as Error).message
  }
  const { socket } = frontPaths(site)
  const errorsAt = async () => (await readSlots(socket)).find((s) => s.slot === slot)?.errors ?? 0
  const before = await errorsAt()
  const end = Date.now() + o.settleMs
  while (Date.now() < end) {
    const ready = await fetchAnswer(`${url}/api/ready`, { timeoutMs: 3000 }).catch((e: Error) => ({ status: 0, text: e.message }))
    if (ready.status !== 200) return `${url}/api/ready answered ${ready.status || 'nothing'} inside the settle window`
    const errors = (await errorsAt()) - before
    if (errors > 0) return `the front counted ${errors} connection or response error(s) against the new server inside the settle window`
    await new Promise((r) => setTimeout(r, settlePollMs))
  }
  done()
  return null
}

/** Put the old server back: it still runs, drained; make its slot ready and hold the new one out. */
async function switchBack(site: FrontSite, failed: Slot, old: Slot | null, candidate: string): Promise<string> {
  const { name, env, progress } = site
  const { socket } = frontPaths(site)
  const done = progress.phase(`switch back to ${name}`)
  // The usual case first, with no docker call in the way: the old server runs, drained and checked.
  if (old && (await admitSlot(socket, old, 2000))) {
    await setSlotState(socket, failed, 'maint')
  } else {
    const oldProd = await inspectContainer(name, env)
    if (!oldProd || !old) {
      done('nothing to switch back to')
      await docker(renameArgs(candidate, name), { env })
      await docker(updateRestartArgs(name, 'unless-stopped'), { env })
      throw new UpgradeError(`the new ${name} failed inside the settle window and there is no previous server to switch back to; it keeps serving`, 'rolled-back')
    }
    if (!oldProd.running) await docker(startArgs(name), { env })
    if (!(await admitSlot(socket, old, 60_000))) throw new ProbeError(`the old server ${name} did not turn ready behind the front again; see docker logs ${name}`)
    await setSlotState(socket, failed, 'maint')
  }
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
