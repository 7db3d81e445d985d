// Replacing the front with no gap. The port belongs to the holder, so a new front starts in the holder's
// namespace and takes the listening sockets from the old one over its admin socket (haproxy -x, with
// expose-fd listeners); both accept on the same sockets for a moment. The new front must answer on its
// own admin socket and through the port before the old one gets its soft stop (SIGUSR1: it stops
// accepting, finishes what it serves, bounded by hard-stop-after) and is removed. Its configuration and
// image are proven first, by haproxy -c in a throwaway container: a bad one never touches the front that
// serves. A front made before the holder publishes the port itself: moving it costs one gap, said once.
import http from 'node:http'
import fs from 'node:fs/promises'
import path from 'node:path'
import { removeContainerArgs, renameArgs, runArgs } from '../docker/args.ts'
import { drainContainer, showLogs } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import { SfError } from '../errors.ts'
import { frontBinary } from '../docker/front-image.ts'
import { urlOf, waitFor } from '../probe.ts'
import { frontDir, frontName, frontSocketFile, nextFrontName, portHolderName, renderFrontConfig, slots, type Slot } from './definition.ts'
import { activeSlot, readFrontInfo, readSlots, setSlotState, waitForSlot, type SlotState } from './runtime-api.ts'
import { ensurePortHolder, frontPaths, frontSocket, holderAddresses, linkFrontSocket, startFront, type WantedFront } from './setup.ts'
import type { FrontSite } from './site.ts'

/** A new front that did not take over: it was removed, and the old one serves as before. */
export class FrontReplaceError extends SfError {
  override name = 'FrontReplaceError'
}

/** How long a new front gets to answer through the port once its own socket answers. */
const answerDeadlineMs = 10_000

/** The soft stop of a new front that failed: it shared the listeners for seconds at most, answering errors or nothing. */
const failedFrontStopSeconds = 10

/** Why a running front is not what the site wants now; empty when it is. */
export function frontDifferences(front: ContainerState, wanted: WantedFront): string[] {
  const reasons: string[] = []
  if (wanted.imageId && front.imageId !== wanted.imageId) reasons.push(`its image is ${front.image} (${front.imageId.slice(7, 19)}), the site's is ${wanted.image} (${wanted.imageId.slice(7, 19)})`)
  const digest = front.labels['sf.front.config']
  if (digest !== wanted.configDigest) reasons.push(digest ? `its configuration (${digest}) is not the one generated now (${wanted.configDigest})` : 'it predates the configuration digest')
  return reasons
}

/**
 * The old front's place taken by a new one from `wanted`, with no gap. Throws FrontReplaceError (the new
 * one removed, the old one serving) when the new one fails validation or never answers.
 */
export async function replaceFront(site: FrontSite, old: ContainerState, wanted: WantedFront, o: { probeHost: string; why: string }): Promise<string> {
  const { name, env, progress } = site
  const oldSocket = frontSocket(site, old)
  const states = await readSlots(oldSocket)
  const active = activeSlot(states)
  const restore = await validateConfig(site, wanted.image, active)
  const oldId = old.env.SF_FRONT_ID!
  // A new front a killed run left is not serving: the converge before this kept the one that was.
  await docker(removeContainerArgs(nextFrontName(name), { force: true }), { env, allowFailure: true })
  const started = Date.now()
  let next: Awaited<ReturnType<typeof startFront>> | null = null
  try {
    next = await startFront(site, { ...wanted, takeFrom: oldId, containerName: nextFrontName(name) })
    await copySlotStates(next.socket, states)
    await provesItAnswers(site, next, active, o.probeHost)
  } catch (error) {
    const reason = (error as Error).message
    if (next || (await inspectContainer(nextFrontName(name), env))) {
      await showLogs(nextFrontName(name), env, progress)
      await drainContainer(nextFrontName(name), Math.min(site.drainStopSeconds, failedFrontStopSeconds), env, progress)
      await docker(removeContainerArgs(nextFrontName(name), { force: true }), { env, allowFailure: true })
      if (next) await fs.rm(next.socket, { force: true })
    }
    await restore()
    throw new FrontReplaceError(`the new front (${wanted.image}) did not take over, so ${old.name} keeps serving: ${reason}`)
  }
  const answered = Date.now() - started
  await linkFrontSocket(site, next.id)
  const stopping = Date.now()
  await drainContainer(old.name, site.drainStopSeconds, env, progress)
  const finished = Date.now() - stopping
  await docker(removeContainerArgs(old.name, { force: true }), { env, allowFailure: true })
  await fs.rm(oldSocket, { force: true })
  await docker(renameArgs(next.name, frontName(name)), { env })
  return `replaced ${frontName(name)} (${o.why}) with one on ${wanted.image}: it took the listeners over and answered through the port ${answered} ms after its start, and the old one finished what it served in ${finished} ms`
}

/**
 * From a front that publishes the port itself to the holder and a front in its namespace, or, when the
 * site's bind or port changed, from the old holder to a new one. The port changes owner, so it is dark
 * from the old front's soft stop until the new one answers: measured and said, this once. The new
 * config and image are proven first.
 */
export async function moveBehindHolder(site: FrontSite, old: ContainerState, wanted: WantedFront, o: { probeHost: string; oldHolder?: ContainerState }): Promise<string> {
  const { name, env, progress } = site
  const states = old.running ? await readSlots(frontSocket(site, old)).catch(() => null) : null
  const active = states ? activeSlot(states) : null
  await validateConfig(site, wanted.image, active)
  const gapStart = Date.now()
  if (old.running) await drainContainer(old.name, site.drainStopSeconds, env, progress)
  await docker(removeContainerArgs(old.name, { force: true }), { env, allowFailure: true })
  await fs.rm(frontSocket(site, old), { force: true })
  if (o.oldHolder) await docker(removeContainerArgs(o.oldHolder.name, { force: true }), { env, allowFailure: true })
  await ensurePortHolder(site, wanted.image)
  const next = await startFront(site, wanted)
  if (states) await copySlotStates(next.socket, states)
  await linkFrontSocket(site, next.id)
  if (active) {
    const done = progress.phase(`wait for ${urlOf(o.probeHost, site.port)}/api/ready through the new front`)
    await waitFor(`${urlOf(o.probeHost, site.port)}/api/ready`, { deadlineMs: 30_000, minIntervalMs: 10, maxIntervalMs: 50 })
    done()
  }
  const gap = Date.now() - gapStart
  if (o.oldHolder) {
    const sameAddress = o.oldHolder.ports.some((p) => p.bind === site.bind && p.hostPort === site.port)
    return `moved ${frontName(name)} from ${o.oldHolder.ports.map((p) => `${p.bind}:${p.hostPort}`).join(', ')} to ${holderAddresses(site)}: ${site.bind}:${site.port} answered ${gap} ms after the old front's soft stop began${sameAddress ? '' : ', and the old address answers nothing now'}`
  }
  return `moved ${frontName(name)} behind ${portHolderName(name)}: ${site.bind}:${site.port} answered nothing for ${gap} ms, this once; the front is now replaced without a gap`
}

/** haproxy -c on haproxy.cfg.next, in a throwaway container of `image` with no network and the folder read-only. */
export function frontCheckArgs(site: Pick<FrontSite, 'home' | 'name'>, image: string): string[] {
  return runArgs({
    image,
    remove: true,
    network: 'none',
    user: '0:0',
    env: { SF_FRONT_ID: 'check' },
    mounts: [{ source: frontDir(site.home, site.name), target: '/run/sf-front', readOnly: true }],
    command: [frontBinary, '-c', '-f', '/run/sf-front/haproxy.cfg.next'],
  })
}

/** haproxy -c on the config the new front will read, in a throwaway container of its image (no network). */
async function validateConfig(site: FrontSite, image: string, active: Slot | null): Promise<() => Promise<void>> {
  const { env, progress } = site
  const { config } = frontPaths(site)
  const dir = frontDir(site.home, site.name)
  const text = renderFrontConfig({ name: site.name, active, serverTimeoutSeconds: site.drainStopSeconds })
  const candidate = `${config}.next`
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  await fs.writeFile(candidate, text, { mode: 0o600 })
  const done = progress.phase(`check the new front's configuration with ${image} (haproxy -c)`)
  const checked = await docker(frontCheckArgs(site, image), { env, allowFailure: true, timeoutMs: 60_000 })
  if (checked.code !== 0) {
    await fs.rm(candidate, { force: true })
    const said = `${checked.stdout}\n${checked.stderr}`.split('\n').filter((l) => /ALERT|error|Error|not found|exec/.test(l)).slice(0, 6).join('\n').trim()
    done(`exit code ${checked.code}`)
    throw new FrontReplaceError(`${image} refuses the front's configuration (haproxy -c exited with ${checked.code}), so the front that serves was not touched${said ? `:\n${said}` : ''}`)
  }
  done()
  const before = await fs.readFile(config, 'utf8').catch(() => null)
  await fs.rename(candidate, config)
  return async () => {
    if (before !== null) await fs.writeFile(config, before, { mode: 0o600 })
  }
}

/** The slot states the old front held (ready, drain, maint) are what the new one serves with. */
async function copySlotStates(socket: string, states: SlotState[]): Promise<void> {
  const now = await readSlots(socket)
  for (const slot of slots) {
    const want = states.find((s) => s.slot === slot)
    const have = now.find((s) => s.slot === slot)
    if (!want || !have) continue
    const state = want.maint ? 'maint' : want.draining ? 'drain' : 'ready'
    const current = have.maint ? 'maint' : have.draining ? 'drain' : 'ready'
    // A slot held out only because its name does not resolve stays as the new front finds it.
    if (state !== current && !(state === 'maint' && want.addr === '-')) await setSlotState(socket, slot, state)
  }
}

/**
 * The new front answers: its view of the active slot is up, and a request through the port reached it
 * and got 200 (it counts its own 2xx). Both fronts accept on the same sockets now, so new connections
 * are opened until one lands on it. A 5xx from it fails at once.
 */
async function provesItAnswers(site: FrontSite, next: { name: string; socket: string }, active: Slot | null, probeHost: string): Promise<void> {
  const done = site.progress.phase(`prove ${next.name} answers through ${urlOf(probeHost, site.port)}`)
  if (!active) return done('no server yet: its admin socket answers')
  if (!(await waitForSlot(next.socket, active, (s) => s.up && !s.maint, answerDeadlineMs))) {
    throw new FrontReplaceError(`${next.name} does not see slot ${active} up within ${answerDeadlineMs} ms (can it resolve its servers on the site's network?)`)
  }
  const url = `${urlOf(probeHost, site.port)}/api/ready`
  const deadline = Date.now() + answerDeadlineMs
  for (let tries = 1; Date.now() < deadline; tries++) {
    await freshGet(url).catch(() => null)
    const info = await readFrontInfo(next.socket)
    if (info.answered5xx > 0) throw new FrontReplaceError(`${next.name} answered ${url} with a 5xx`)
    if (info.answered2xx > 0) return done(`after ${tries} request(s)`)
  }
  throw new FrontReplaceError(`no request through ${url} reached ${next.name} within ${answerDeadlineMs} ms`)
}

/** One GET on a connection of its own, so the kernel hands it to whichever front accepts. */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 3000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 3000 ms')))
    req.on('error', reject)
  })
}

/** The admin socket files of fronts that are gone. */
export async function removeSocketOf(site: Pick<FrontSite, 'home' | 'name'>, front: ContainerState): Promise<void> {
  const id = front.env.SF_FRONT_ID
  if (id) await fs.rm(path.join(frontDir(site.home, site.name), frontSocketFile(id)), { force: true })
}
