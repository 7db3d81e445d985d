// What replacing a site's front would do, read from what runs and changing nothing: the --dry-run of
// docker:vega:front. Every step with the docker command it runs.
import { renameArgs, runDetachedArgs, stopArgs } from '../docker/args.ts'
import { frontContainer, frontName, nextFrontName, portHolderName } from './definition.ts'
import { inDeadNamespace } from './ensure.ts'
import { frontCheckArgs, frontDifferences } from './replace.ts'
import { findPortHolder, holderAddresses, holderIsCurrent, listFronts, publishesPort, wantedFront } from './setup.ts'
import type { FrontSite } from './site.ts'

export async function frontPlan(site: FrontSite): Promise<string[]> {
  const { name } = site
  const wanted = await wantedFront(site, { dryRun: true })
  const holder = await findPortHolder(site)
  const fronts = await listFronts(site)
  const front = fronts.find((f) => f.name === frontName(name)) ?? fronts.at(-1)
  const lines = [
    `port holder: ${holder ? `${holder.name}, ${holder.running ? `running since ${holder.startedAt}` : `stopped (exit code ${holder.exitCode}): started first`}` : `none: ${portHolderName(name)} is created`}`,
    `front: ${fronts.map((f) => `${f.name} on ${f.image}${f.running ? `, running since ${f.startedAt}` : ', stopped'}${inDeadNamespace(f, holder) ? ' in a namespace its holder left: restarted first' : ''}`).join('; ') || 'none: run npm run docker:vega:up first'}`,
  ]
  if (fronts.length > 1) lines.push(`a replacement that did not finish left ${fronts.length} fronts: the one that holds the listeners stays, the others get a soft stop`)
  if (!front) return lines
  const reasons = frontDifferences(front, wanted)
  lines.push(`new front: ${wanted.image}${wanted.imageId ? '' : ' (not on this host yet: pulled or built first)'}, configuration ${wanted.configDigest}; ${reasons.length ? reasons.join('; ') : 'the same as what runs, replaced because asked'}`)
  if (holder && !holderIsCurrent(holder, site)) {
    lines.push(`${holder.name} publishes ${holder.ports.map((p) => `${p.bind}:${p.hostPort}`).join(', ')}, not ${holderAddresses(site)}: the front and its holder are moved to the new address (the next npm run docker:vega:up does it), and the new address answers once the new front does`)
    return lines
  }
  if (publishesPort(front)) {
    lines.push(`${front.name} publishes ${site.bind}:${site.port} itself: it is moved behind ${portHolderName(name)}, and the port answers nothing from its soft stop until the new front answers (about a second), this once`)
    return lines
  }
  const id = '<new id>'
  const next = frontContainer({ name, image: wanted.image, sfHome: site.home, id, takeFrom: front.env.SF_FRONT_ID, configDigest: wanted.configDigest, containerName: nextFrontName(name) })
  const check = frontCheckArgs(site, wanted.image)
  const steps: [string, string[] | null][] = [
    ['check the new configuration with the new image, in a throwaway container; a failure changes nothing', check],
    [`start ${next.name} in ${portHolderName(name)}'s namespace; it takes the listening sockets from ${front.name} (-x) and serves with it`, runDetachedArgs(next)],
    [`copy the slot states (ready, drain, maint) from ${front.name}; wait until its own admin socket answers and a request through the port reached it; else it is removed and ${front.name} serves on`, null],
    [`soft stop of ${front.name} (SIGUSR1: it stops accepting and finishes what it serves, at most ${site.drainStopSeconds}s), then remove it`, stopArgs(front.name, site.drainStopSeconds)],
    [`rename ${next.name} to ${frontName(name)}`, renameArgs(next.name, frontName(name))],
  ]
  steps.forEach(([what, command], i) => lines.push(`${i + 1}. ${what}${command ? `\n     docker ${command.join(' ')}` : ''}`))
  return lines
}
