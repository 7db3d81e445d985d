// A host's deployment controller: one per target (its lock), a check every interval with jitter, and
// twice as long between checks (up to 10 intervals) while the registry does not answer. SIGTERM ends
// it between checks, or after the rollout in progress; SIGKILL anywhere is put right by the next
// start (the rollout's own convergence and the lock's dead-holder recovery).
import { chmodSync, chownSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Env, SfConfig } from '../env.ts'
import { acquireLock } from '../front/lock.ts'
import type { Progress } from '../progress.ts'
import { ConfigError } from '../errors.ts'
import { controllerLockFile, controllerName, targetStateDir } from '../authority/docker-target.ts'
import { imageRepository } from '../authority/image-ref.ts'
import { RegistryClient } from '../authority/registry-api.ts'
import type { DockerTarget } from '../authority/targets.ts'
import { check, servingNow } from './check.ts'
import { controllerStateFile, readControllerState, servedStateFile, writeControllerState, type Channel, type ControllerState } from '../server/controller-state.ts'

export interface ControllerOptions {
  target: DockerTarget
  channel: Channel
  env: Env
  config: SfConfig
  progress: Progress
  /** The toolkit's commit, when known (the controller image's label). */
  commit: string | null
  /** Run one check and return (tests, benchmarks, cron). */
  once?: boolean
  /** Where the server's own SF_HOME is on this machine, to copy the state into (the target's home volume). */
  publishDir?: string
  probeTimeoutMs?: number
  /** The container the controller runs in (controller:install's), whose liveness is the lock's. */
  container?: string
  /** Ends the loop between checks. */
  signal?: AbortSignal
}

/** The production image's node user (docker/Dockerfile.sf-server), who owns the server's SF_HOME. */
const serverUid = 1000

export function controllerHistoryFile(sfHome: string, name: string): string {
  return path.join(targetStateDir(sfHome, name), 'controller-history.jsonl')
}

/** The wait before the next check: the interval with up to 20% jitter; doubled per failed ask of the registry, capped at 10 intervals. */
export function nextWaitMs(intervalMs: number, failures: number, random: number): number {
  const base = intervalMs * Math.min(10, 2 ** failures)
  return Math.round(base * (1 + 0.2 * random))
}

export async function runController(o: ControllerOptions): Promise<ControllerState> {
  const { target, channel, config, progress } = o
  const registry = config.SF_REGISTRY
  if (!registry) throw new ConfigError('SF_REGISTRY is not set: set it to the registry npm run publish-image pushes to')
  const access = { registry, user: config.SF_REGISTRY_USER, password: config.SF_REGISTRY_PASSWORD }
  const client = new RegistryClient(imageRepository(registry), access)
  const lock = await acquireLock(controllerLockFile(config.SF_HOME, target.name), {
    command: `controller of ${target.name}`,
    waitMs: 0,
    container: o.container,
    busy: `one controller per target: stop that one first (docker rm -f ${controllerName(target.name)}, or end its npm run controller)`,
  })
  const file = controllerStateFile(config.SF_HOME, target.name)
  const intervalMs = config.SF_CONTROLLER_INTERVAL * 1000
  const previous = readControllerState(file)
  const startedAt = new Date().toISOString()
  let state: ControllerState = {
    target: target.name,
    channel,
    repository: client.repository,
    controller: { commit: o.commit, pid: process.pid, startedAt, intervalMs },
    channelDigest: previous?.channelDigest ?? null,
    serving: await servingNow(target, o.env),
    lastCheck: previous?.lastCheck ?? null,
    registry: previous?.registry ?? { reachable: true, since: startedAt, error: null, nextCheckAt: null },
    // A rollout the previous controller was killed in: the next rollout's convergence puts it right.
    rolling: null,
    lastRollout: previous?.lastRollout ?? null,
    refused: previous?.repository === client.repository && previous.channel === channel ? previous.refused : [],
    pulls: 0,
  }
  const save = (s: ControllerState) => {
    writeControllerState(file, s)
    if (o.publishDir) publish(o.publishDir, s, progress)
  }
  save(state)
  progress.note(`controller of ${target.name} (${os.hostname()}): follows ${client.repository}:${channel} every ${config.SF_CONTROLLER_INTERVAL} s`)
  let failures = 0
  let said = ''
  try {
    for (;;) {
      const cpu = process.cpuUsage()
      const requests = client.requests
      const inputs = { target, channel, client, access, env: o.env, config, progress, probeTimeoutMs: o.probeTimeoutMs ?? 120_000, historyFile: controllerHistoryFile(config.SF_HOME, target.name) }
      // A check that fails in a way of its own (the engine gone, a full disk) is reported and tried again
      // later, as an unreachable registry is: the loop outlives it, and what serves is not touched.
      const checked = await check(state, inputs, save).catch((error: Error) => ({ state: { ...state, rolling: null }, outcome: `the check failed: ${error.message.split('\n')[0]}`, failed: true }))
      const used = process.cpuUsage(cpu)
      failures = checked.state.registry.reachable && !('failed' in checked) ? 0 : failures + 1
      const waitMs = nextWaitMs(intervalMs, failures, Math.random())
      state = {
        ...checked.state,
        lastCheck: { at: new Date().toISOString(), outcome: checked.outcome, requests: client.requests - requests, cpuMs: Math.round((used.user + used.system) / 100) / 10 },
        registry: { ...checked.state.registry, nextCheckAt: checked.state.registry.reachable ? null : new Date(Date.now() + waitMs).toISOString() },
      }
      save(state)
      if (checked.outcome !== said) progress.note(checked.outcome)
      said = checked.outcome
      if (o.once || o.signal?.aborted) return state
      await sleep(waitMs, o.signal)
      if (o.signal?.aborted) return state
    }
  } finally {
    await lock.release()
  }
}

/** The copy the server answers on GET /api/controller; its folder is the server's SF_HOME (uid 1000). */
function publish(dir: string, state: ControllerState, progress: Progress): void {
  try {
    // A volume the controller's mount made before any server did is root's: hand it to the server's
    // user (uid 1000 in the production image), which keeps its admin token there.
    if (statSync(dir).uid === 0 && process.getuid?.() === 0) {
      chownSync(dir, serverUid, serverUid)
      chmodSync(dir, 0o700)
    }
    writeControllerState(path.join(dir, servedStateFile), state)
  } catch (error) {
    progress.note(`could not copy the state to ${dir}: ${(error as Error).message}`)
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })
}
