// Rolling a docker target: the same zero-downtime upgrade as vega, through the front (lib/front/).
// The published image by digest starts in the front's free slot and must pass its own probes (commit,
// build id and digest); the front switches to it, it must stay green through a settle window, and a
// failure switches back to the old server, which kept running. A killed earlier run is put right first.
import fs from 'node:fs/promises'
import { containersPublishingArgs } from '../docker/args.ts'
import { docker, engineAnswers } from '../docker/engine.ts'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env, SfConfig } from '../env.ts'
import { ConfigError, DockerError } from '../errors.ts'
import { listenProblem } from '../ports.ts'
import { analysisRules } from '../front/analysis.ts'
import { convergeFront } from '../front/converge.ts'
import { frontName, portHolderName, type Slot } from '../front/definition.ts'
import { UpgradeError } from '../front/errors.ts'
import { acquireLock, holderAlive, lockFile, readHolder } from '../front/lock.ts'
import { ensureCurrentFront } from '../front/ensure.ts'
import { findPortOwner } from '../front/setup.ts'
import { asideName, candidateName, type FrontSite } from '../front/site.ts'
import { canaryRefusal, frontSwap } from '../front/swap.ts'
import type { Progress } from '../progress.ts'
import { targetRole, targetServerSpec } from './docker-server.ts'
import { controllerLockFile, controllerName, probeHostOf, targetLockBusy, targetSite } from './docker-target.ts'
import { RolloutError } from './errors.ts'
import type { ExpectedRelease } from './probes.ts'
import type { DockerTarget, TargetName } from './targets.ts'

/** How long the new server must stay green behind the front before the old one is removed. */
export const settleMs = 5000

export interface DockerRollOptions {
  env: Env
  config: SfConfig
  progress: Progress
  probeTimeoutMs: number
  /** The command that rolls, for the lock's holder. */
  command: string
  /** The target's own controller rolls: no refusal because a controller follows it. */
  fromController?: boolean
}

export async function rollDocker(target: DockerTarget, which: TargetName, image: { ref: string; expected: ExpectedRelease }, o: DockerRollOptions): Promise<void> {
  const site = targetSite({ env: o.env, config: o.config, progress: o.progress, target, which })
  const where = `docker target ${which} (${target.name} on ${target.bind}:${target.port})`
  await preflight(site, which)
  if (!o.fromController) await refuseFollowed(target, which, o.config.SF_HOME, site.env)
  const lock = await acquireLock(lockFile(site.home, target.name), { command: o.command, waitMs: 0, busy: targetLockBusy(which) })
  try {
    await fs.mkdir(site.home, { recursive: true, mode: 0o700 })
    const prod = await inspectContainer(target.name, site.env)
    // A front re-created beside a server that runs routes to that server's slot, not to none.
    const active = prod?.running ? ((prod.labels['sf.vega.slot'] as Slot | undefined) ?? null) : null
    let done = o.progress.phase('front')
    const frontNotes = await ensureCurrentFront(site, { active, probeHost: probeHostOf(target) })
    done(frontNotes.length ? frontNotes.join('; ') : `${frontName(target.name)} is current`)
    // The front is current now, so only a front that could not be replaced refuses.
    const refusal = target.canary.length ? await canaryRefusal(site) : null
    if (refusal) throw new RolloutError(`${where}: ${refusal.replace('--canary', `${which}.canary`)}`, true)
    done = o.progress.phase('converge')
    const notes = await convergeFront(site, o.probeTimeoutMs)
    done(notes.length ? notes.join('; ') : 'nothing left over')

    const inputs = {
      name: target.name,
      ref: image.ref,
      ...image.expected,
      graceMs: o.config.SF_RPC_SHUTDOWN_GRACE_MS,
      stopTimeout: site.drainStopSeconds,
    }
    const swap = await frontSwap(site, {
      serverSpec: (slot, port) => targetServerSpec(inputs, slot, port),
      expected: image.expected,
      probeHost: probeHostOf(target),
      probeDeadlineMs: o.probeTimeoutMs,
      settleMs,
      canary: target.canary,
      stepMs: target.step * 1000,
      rules: analysisRules(o.config),
    }).catch((error: unknown) => {
      if (!(error instanceof UpgradeError)) throw error
      // candidate-failed: it was removed and the front never sent it a request. rolled-back: the first
      // server behind a new front failed its settle window, with nothing older to switch back to.
      const unchanged = error.outcome === 'candidate-failed'
      throw new RolloutError(`${where} did not take ${image.ref}: ${error.message}${unchanged ? `\nwhat ${target.name} served before is unchanged` : ''}`, unchanged)
    })
    for (const verdict of swap.analysis) o.progress.note(`${verdict.stage}: ${verdict.decision}, ${verdict.reason}`)
    if (!swap.swapped) throw new RolloutError(`${where} did not take ${image.ref}: ${swap.error}\n${swap.rollback}`, true)
    o.progress.note(`${portHolderName(target.name)} owns ${target.bind}:${target.port}, ${frontName(target.name)} serves it; ${target.name} serves ${image.ref} in slot ${swap.slot}`)
  } finally {
    await lock.release()
  }
}

/**
 * A push to a target whose controller follows the channel would race it: the controller rolls the
 * channel's digest back over anything else. Refused before anything changes.
 */
async function refuseFollowed(target: DockerTarget, which: TargetName, sfHome: string, env: Env): Promise<void> {
  const container = await inspectContainer(controllerName(target.name), env)
  const holder = await readHolder(controllerLockFile(sfHome, target.name))
  const follower = container?.running ? container.name : holder && holderAlive(holder) ? `a controller (pid ${holder.pid}, ${holder.command})` : null
  if (!follower) return
  const command = which === 'test' ? 'deploy-test' : 'promote'
  throw new ConfigError(
    `targets.${which}: ${follower} follows the channel ${which} and rolls ${target.name} itself, so a push from here would race it: run npm run ${command} -- --wait (or set SF_DEPLOY_MODE=pull) and it rolls the digest, or remove the controller (docker rm -f ${controllerName(target.name)}) to push`,
  )
}

/** Before anything changes: an engine answers, the names are free or ours, the ports free or ours. */
async function preflight(site: FrontSite, which: TargetName): Promise<void> {
  const { name, bind, port: sitePort, env } = site
  const done = site.progress.phase(`preflight ${name}`)
  const engine = await engineAnswers(env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const problems: string[] = []
  const ours = [name, candidateName(name), asideName(name)]
  for (const other of ours) {
    const found = await inspectContainer(other, env)
    if (found && found.labels['sf.role'] !== targetRole) {
      problems.push(`a container named ${other} exists that deploy-test and promote did not make: remove it (docker rm -f ${other}) or rename targets.${which}`)
    }
  }
  for (const [other, role] of [[frontName(name), 'vega-front'], [portHolderName(name), 'vega-port']] as const) {
    const found = await inspectContainer(other, env)
    if (found && !(found.labels['sf.role'] === role && found.labels['sf.vega.name'] === name)) {
      problems.push(`a container named ${found.name} exists that deploy-test and promote did not make: remove it (docker rm -f ${found.name}) or rename targets.${which}`)
    }
  }
  const frontHoldsPort = (await findPortOwner(site, sitePort)) !== null
  const ports = [...(frontHoldsPort ? [] : [sitePort]), sitePort + 1, sitePort + 2]
  for (const port of ports) {
    const code = await listenProblem(bind, port)
    if (code === null) continue
    if (code === 'EADDRNOTAVAIL') {
      problems.push(`targets.${which}.bind: ${bind} is not an address of this machine: use one of its addresses`)
      break
    }
    const holder = (await docker(containersPublishingArgs(port), { env, allowFailure: true })).stdout.trim().split('\n')[0]?.split('\t')[0]
    if (holder && ours.includes(holder)) continue
    problems.push(`targets.${which}.port: ${bind}:${port} is taken by ${holder ? `container ${holder}` : 'another process'}; the target needs its port and the next two: free them or move the target`)
  }
  if (problems.length) throw new ConfigError(`cannot roll targets.${which}:\n  ${problems.join('\n  ')}`, problems)
  done(`engine ${engine.version}`)
}
