// One check of a host's deployment controller: ask the registry which digest the channel names (one
// HEAD), ask the target's own /api/version what serves, and when they differ roll the channel's
// digest through the front, the same rollout deploy-test and promote use (candidate proven, switch,
// settle, switch back). A digest that failed here is refused until the channel names another one; a
// registry that does not answer changes nothing that serves. Every outcome lands in the state.
import fs from 'node:fs/promises'
import path from 'node:path'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env, SfConfig } from '../env.ts'
import { LockError } from '../front/lock.ts'
import { fetchAnswer } from '../probe.ts'
import type { Progress } from '../progress.ts'
import { pullImage, releaseOf } from '../authority/context.ts'
import type { RegistryAccess } from '../authority/credentials.ts'
import { rollDocker } from '../authority/docker-rollout.ts'
import { probeHostOf } from '../authority/docker-target.ts'
import { RegistryError, RolloutError } from '../authority/errors.ts'
import { testedEvidence } from '../authority/evidence.ts'
import { digestRef } from '../authority/image-ref.ts'
import type { RegistryClient } from '../authority/registry-api.ts'
import type { DockerTarget } from '../authority/targets.ts'
import { afterChannelMove, blockingRefusal, withRefusal, type Channel, type ControllerState, type Refusal } from '../server/controller-state.ts'

export interface CheckInputs {
  target: DockerTarget
  channel: Channel
  client: RegistryClient
  access: RegistryAccess
  env: Env
  config: SfConfig
  progress: Progress
  probeTimeoutMs: number
  /** Where each rollout is appended, one JSON line. */
  historyFile: string
}

/**
 * What serves behind the target's front: its /api/version's digest and commit, and since when (the
 * server container's start, asked of the engine only when the digest is not the one seen before: an
 * idle check starts no docker process).
 */
export async function servingNow(target: DockerTarget, env: Env, before: ControllerState['serving'] = null): Promise<ControllerState['serving']> {
  const answer = await fetchAnswer(`http://${probeHostOf(target)}:${target.port}/api/version`, { timeoutMs: 5000 }).catch(() => null)
  if (!answer || answer.status !== 200) return null
  const version = answer.json as { runningImage?: { digest?: string | null }; manifest?: { git?: { commit?: string } } }
  const digest = version.runningImage?.digest ?? null
  const commit = version.manifest?.git?.commit ?? null
  if (before?.since && before.digest === digest && before.commit === commit) return { digest, commit, since: before.since }
  const server = await inspectContainer(target.name, env)
  return { digest, commit, since: server?.startedAt ?? null }
}

/** The state after one check and what it found; a rollout's start is saved as it begins (`save`). */
export async function check(state: ControllerState, o: CheckInputs, save: (s: ControllerState) => void): Promise<Checked> {
  const now = () => new Date().toISOString()
  const registryDown = (error: RegistryError): ControllerState => ({
    ...state,
    registry: { reachable: false, since: state.registry.reachable ? now() : state.registry.since, error: error.message, nextCheckAt: null },
  })
  let digest: string | null
  try {
    digest = await o.client.resolve(o.channel)
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error
    return outcome(registryDown(error), 'the registry does not answer; serving goes on')
  }
  state = {
    ...state,
    registry: state.registry.reachable ? state.registry : { reachable: true, since: now(), error: null, nextCheckAt: null },
    refused: afterChannelMove(state.refused, state.channelDigest, digest),
    channelDigest: digest,
    serving: await servingNow(o.target, o.env, state.serving),
  }
  if (digest === null) return outcome(state, `the channel ${o.channel} names no digest yet`)
  if (state.serving?.digest === digest) return outcome(state, `serves ${o.channel}`)
  const blocked = blockingRefusal(state, digest)
  if (blocked) return outcome(state, `${digest.slice(0, 19)} was refused here (${blocked.kind}); waiting for the channel to move`)

  const refuse = (kind: Refusal['kind'], reason: string, blocking: boolean): ControllerState => {
    // Once per digest and kind: an untested digest is asked about again every check.
    if (!state.refused.some((r) => r.digest === digest && r.kind === kind)) o.progress.note(`refused ${digest}: ${reason}`)
    return { ...state, refused: withRefusal(state.refused, { digest, at: now(), kind, reason, blocking }) }
  }
  if (o.channel === 'prod') {
    const evidence = await testedEvidence(o.client, digest)
    if (!evidence.ok && evidence.why === 'registry') return outcome(registryDown(new RegistryError(evidence.reason)), 'the registry does not answer; serving goes on')
    if (!evidence.ok) return outcome(refuse('untested', evidence.reason, false), `${digest.slice(0, 19)} is untested: not rolled`)
  }
  let expected
  try {
    expected = await releaseOf(o.client, digest)
  } catch (error) {
    if (error instanceof RegistryError) return outcome(registryDown(error), 'the registry does not answer; serving goes on')
    return outcome(refuse('failed', (error as Error).message, true), `${digest.slice(0, 19)} is not an image of sf: not rolled`)
  }

  const ref = digestRef(o.client.repository, digest)
  let done = o.progress.phase(`pull ${ref}`)
  state = { ...state, pulls: state.pulls + 1 }
  try {
    await pullImage(ref, o.access, o.env)
  } catch (error) {
    // A pull that fails is the registry's (or the engine's) trouble, not the digest's: asked again later.
    done('failed')
    return outcome(registryDown(new RegistryError(`docker pull ${ref} failed: ${(error as Error).message.split('\n')[0]}`)), `could not pull ${digest.slice(0, 19)}; serving goes on`)
  }
  done(`commit ${expected.commit.slice(0, 12)}, build ${expected.buildId}`)

  const startedAt = now()
  state = { ...state, rolling: { digest, since: startedAt } }
  save(state)
  const finish = async (result: NonNullable<ControllerState['lastRollout']>['outcome'], message: string, next: ControllerState): Promise<Checked> => {
    const lastRollout = { digest, startedAt, finishedAt: now(), outcome: result, message }
    await appendHistory(o.historyFile, { ...lastRollout, channel: o.channel, commit: expected.commit, buildId: expected.buildId })
    return outcome({ ...next, rolling: null, lastRollout, serving: await servingNow(o.target, o.env) }, message.split('\n')[0]!)
  }
  try {
    await rollDocker(o.target, o.channel, { ref, expected }, { env: o.env, config: o.config, progress: o.progress, probeTimeoutMs: o.probeTimeoutMs, command: `controller of ${o.target.name}`, fromController: true })
  } catch (error) {
    // Another run holds the target (a deploy from this host): nothing happened, the next check tries again.
    if (error instanceof LockError) return outcome({ ...state, rolling: null }, `another run holds ${o.target.name}; trying again at the next check`)
    const rolledBack = error instanceof RolloutError && error.rolledBack
    const message = (error as Error).message
    return finish(rolledBack ? 'rolled-back' : 'failed', message, refuse(rolledBack ? 'rolled-back' : 'failed', message.split('\n')[0]!, true))
  }
  done = o.progress.phase('rolled')
  done(`${o.target.name} serves ${digest}`)
  return finish('upgraded', `serves ${digest} (commit ${expected.commit.slice(0, 12)})`, state)
}

export interface Checked {
  state: ControllerState
  /** One line: what this check found or did. */
  outcome: string
}

function outcome(state: ControllerState, text: string): Checked {
  return { state, outcome: text }
}

async function appendHistory(file: string, entry: Record<string, unknown>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true })
  await fs.appendFile(file, `${JSON.stringify(entry)}\n`)
}
