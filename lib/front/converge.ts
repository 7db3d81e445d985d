// Behind the front, putting things right after a run that was killed: exactly one server must be left,
// in the slot the front routes to, named prod, and ready. The server in the front's active slot stays
// when it passes its probes; otherwise the other slot's server (restarted if it was stopped) takes the
// traffic back. Every other server is drained and removed.
import { removeContainerArgs, renameArgs, startArgs, updateRestartArgs } from '../docker/args.ts'
import { drainContainer } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import { ProbeError } from '../errors.ts'
import { urlOf } from '../probe.ts'
import type { Slot } from './definition.ts'
import { probeServer } from './probes.ts'
import { activeSlot, admitSlot, readSlots, setSlotState } from './runtime-api.ts'
import { frontPaths, writeFrontConfig } from './setup.ts'
import { asideName, candidateName, type FrontSite } from './site.ts'
import { slotPort, slotProbeHost } from './swap.ts'

const slotOf = (c: ContainerState) => c.labels['sf.vega.slot'] as Slot | undefined

export async function convergeFront(site: FrontSite, probeDeadlineMs: number): Promise<string[]> {
  const { name, env, progress } = site
  const { socket } = frontPaths(site)
  const found = await Promise.all([name, candidateName(name), asideName(name)].map((n) => inspectContainer(n, env)))
  const servers = found.filter((c): c is ContainerState => c !== null)
  if (servers.every((c) => c.name === name)) return []
  const notes: string[] = []

  const active = activeSlot(await readSlots(socket))
  const keeper = active ? servers.find((c) => slotOf(c) === active && c.running) : undefined
  const expected = (c: ContainerState) => ({ commit: c.labels['sf.commit'] ?? '', buildId: c.labels['sf.build-id'] ?? '' })
  const proven =
    keeper && active
      ? await probeServer(urlOf(slotProbeHost, slotPort(site.port, active)), expected(keeper), { deadlineMs: probeDeadlineMs, container: keeper.name, env }).then(
          () => true,
          () => false,
        )
      : false

  let serving = proven ? keeper : undefined
  if (!serving) {
    const other = servers.find((c) => c !== keeper && slotOf(c) !== undefined && slotOf(c) !== active)
    const slot = other && slotOf(other)
    if (!other || !slot) throw new ProbeError(`${name} behind the front is not ready and there is no other server to switch back to: run ${site.words.repair}`)
    if (!other.running) await docker(startArgs(other.name), { env })
    if (!(await admitSlot(socket, slot, probeDeadlineMs))) throw new ProbeError(`${other.name}, which a killed run left, does not turn ready behind the front; see docker logs ${other.name}`)
    if (active) await setSlotState(socket, active, 'maint')
    notes.push(`switched the front back to ${other.name}${keeper ? `, as ${keeper.name} fails its probes` : ''}`)
    serving = other
  }
  const slot = slotOf(serving)!
  for (const c of servers) {
    if (c === serving) continue
    if (c.running) await drainContainer(c.name, site.drainStopSeconds, env, progress)
    await docker(removeContainerArgs(c.name, { force: true }), { env, allowFailure: true })
    const cSlot = slotOf(c)
    if (cSlot && cSlot !== slot) await setSlotState(socket, cSlot, 'maint')
    notes.push(`removed the leftover ${c.name}`)
  }
  if (serving.name !== name) {
    await docker(renameArgs(serving.name, name), { env })
    notes.push(`${serving.name} serves in slot ${slot} and is now ${name}`)
  }
  await docker(updateRestartArgs(name, 'unless-stopped'), { env })
  await writeFrontConfig(site, slot)
  return notes
}
