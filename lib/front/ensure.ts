// Keeping a site's front as it should be: one holder owning the port, exactly one front holding the
// listeners in the holder's namespace, both running. What puts it right after a run killed in the middle
// of a replacement, a holder restarted alone (its fronts then sit in a namespace nothing reaches) or a
// container stopped by hand; and, for up and a rollout, the front replaced when its image or generated
// configuration is not the site's any more.
import { removeContainerArgs, renameArgs, restartArgs, startArgs } from '../docker/args.ts'
import { drainContainer } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import { frontName, portHolderName, type Slot } from './definition.ts'
import { moveBehindHolder, frontDifferences, removeSocketOf, replaceFront } from './replace.ts'
import { readFrontInfo } from './runtime-api.ts'
import {
  createFront,
  ensureNetwork,
  ensurePortHolder,
  findFront,
  findPortHolder,
  frontSocket,
  holderIsCurrent,
  linkFrontSocket,
  linkedFrontId,
  listFronts,
  publishesPort,
  startFront,
  waitForSocket,
  wantedFront,
} from './setup.ts'
import type { FrontSite } from './site.ts'

/** A front started before its holder's current start joined a namespace that is gone: it serves nobody. */
export function inDeadNamespace(front: ContainerState, holder: ContainerState | null): boolean {
  return !!holder && front.running && !publishesPort(front) && Date.parse(front.startedAt) < Date.parse(holder.startedAt)
}

/**
 * Exactly one front, running in a live holder's namespace and named frontName, that admin.sock points
 * at. Of several (a replacement killed midway), the one that holds the listeners stays: the one
 * admin.sock points at if it answers and is not stopping, else the newest that does. Returns what it did.
 */
export async function convergeFronts(site: FrontSite): Promise<string[]> {
  const { name, env, progress } = site
  const notes: string[] = []
  let fronts = await listFronts(site)
  if (!fronts.length || fronts.some(publishesPort)) return notes
  let holder = await findPortHolder(site)
  // A front joins its holder by container id: one made for a holder that is gone cannot start again.
  const holderGone = !holder
  if (!holder?.running) {
    const was = holder ? `was stopped (exit code ${holder.exitCode})` : 'was gone'
    const done = progress.phase(`start ${portHolderName(name)}, which ${was}`)
    holder = await ensurePortHolder(site, fronts.at(-1)!.image)
    done()
    notes.push(`started ${holder.name}, which ${was}`)
  }
  if (fronts.length > 1) {
    const linked = await linkedFrontId(site)
    const answering: ContainerState[] = []
    for (const f of fronts) {
      if (!f.running || inDeadNamespace(f, holder)) continue
      const info = await readFrontInfo(frontSocket(site, f)).catch(() => null)
      if (info && !info.stopping) answering.push(f)
    }
    const keeper = answering.find((f) => f.env.SF_FRONT_ID === linked) ?? answering.at(-1) ?? fronts.find((f) => f.name === frontName(name)) ?? fronts.at(-1)!
    for (const f of fronts.filter((f) => f !== keeper)) {
      if (f.running) await drainContainer(f.name, site.drainStopSeconds, env, progress)
      await docker(removeContainerArgs(f.name, { force: true }), { env, allowFailure: true })
      await removeSocketOf(site, f)
      notes.push(`removed ${f.name}, which a replacement that did not finish left beside ${keeper.name}`)
    }
    fronts = [keeper]
  }
  let front = fronts[0]!
  if (holderGone) {
    await docker(removeContainerArgs(front.name, { force: true }), { env, allowFailure: true })
    await removeSocketOf(site, front)
    const started = await startFront(site, { image: front.image, configDigest: front.labels['sf.front.config'] ?? '' })
    await linkFrontSocket(site, started.id)
    notes.push(`re-created ${frontName(name)} in the new ${holder.name}'s namespace`)
    return notes
  }
  if (front.name !== frontName(name)) {
    await docker(renameArgs(front.name, frontName(name)), { env })
    notes.push(`${front.name} holds the listeners and is now ${frontName(name)}`)
    front = (await findFront(site))!
  }
  if (!front.running || inDeadNamespace(front, holder)) {
    // A front that sits in a dead namespace is restarted into the live one; until then the port is dark.
    const why = front.running ? `it ran in the namespace ${holder.name} had before it restarted (${holder.startedAt})` : `it was stopped (exit code ${front.exitCode})`
    const done = progress.phase(`restart ${front.name}: ${why}`)
    await docker(front.running ? restartArgs(front.name, 1) : startArgs(front.name), { env })
    done()
    notes.push(`restarted ${front.name}, as ${why}`)
  }
  const id = front.env.SF_FRONT_ID
  if (id && id !== (await linkedFrontId(site))) await linkFrontSocket(site, id)
  if (notes.length) await waitForSocket(frontSocket(site, front), 15_000, front.name)
  return notes
}

/**
 * Behind the front, what stopped by hand (docker stop or kill, which the restart policy leaves down)
 * comes back first of all, since nothing answers until it does: the holder and the front, put right as
 * convergeFronts does, then the server. Returns what it did.
 */
export async function startStopped(site: FrontSite): Promise<string[]> {
  const notes = await convergeFronts(site)
  const server = await inspectContainer(site.name, site.env)
  if (server && !server.running && server.labels['sf.vega.name'] === site.name) {
    const done = site.progress.phase(`start the stopped ${server.name}`)
    await docker(startArgs(server.name), { env: site.env })
    done()
    notes.push(`started ${server.name}, which was stopped (exit code ${server.exitCode})`)
  }
  return notes
}

export interface CurrentFrontOptions {
  /** The slot a front created now routes to (a server that runs beside no front). */
  active: Slot | null
  probeHost: string
  /** Replace the front even when it is what the site wants (docker:vega:front). */
  force?: boolean
}

/**
 * up's and a rollout's front: the network; the holder and a front when there are none; a front that
 * publishes the port itself moved behind a holder; and a front whose image or generated configuration
 * is not the site's replaced with no gap. Returns what it did.
 */
export async function ensureCurrentFront(site: FrontSite, o: CurrentFrontOptions): Promise<string[]> {
  await ensureNetwork(site)
  const wanted = await wantedFront(site)
  const notes = await convergeFronts(site)
  const front = await findFront(site)
  if (!front) {
    await createFront(site, wanted, o.active)
    return [...notes, `started ${portHolderName(site.name)} and ${frontName(site.name)}`]
  }
  if (publishesPort(front)) return [...notes, await moveBehindHolder(site, front, wanted, o)]
  // The site's bind, port or metrics port changed: the holder publishes the old one, and a new holder must own the new.
  const holder = await findPortHolder(site)
  if (holder && !holderIsCurrent(holder, site)) return [...notes, await moveBehindHolder(site, front, wanted, { ...o, oldHolder: holder })]
  const reasons = frontDifferences(front, wanted)
  if (!reasons.length && !o.force) return notes
  return [...notes, await replaceFront(site, front, wanted, { probeHost: o.probeHost, why: reasons.length ? reasons.join('; ') : 'asked for' })]
}
