// npm run controller:install: put this host's controller for one target in its container, or replace
// the one there. The image is built from this checkout's commit (or given with --image); the old
// controller is stopped first (SIGTERM: it finishes a rollout in progress, up to its stop timeout),
// and nothing that serves is touched: the target's server, front and port holder stay as they are.
import fs from 'node:fs'
import path from 'node:path'
import { inspectContainer } from '../docker/inspect.ts'
import { imageInspectArgs, removeContainerArgs, runDetachedArgs, stopArgs } from '../docker/args.ts'
import { docker, engineAnswers, firstLine } from '../docker/engine.ts'
import type { Env, SfConfig } from '../env.ts'
import { ConfigError, DockerError } from '../errors.ts'
import type { Progress } from '../progress.ts'
import { controllerStateFile, readControllerState, type ControllerState } from '../server/controller-state.ts'
import { buildControllerImage } from './image.ts'
import { controllerContainer, controllerName, credentialsFile, type ControllerTarget } from './setup.ts'

export interface InstallOptions {
  root: string
  env: Env
  config: SfConfig
  progress: Progress
  installed: ControllerTarget
  /** An image already built (controller image of some commit); default: build one from root. */
  image?: string
  /** How long to wait for the new controller's first check. */
  firstCheckMs?: number
}

/** The settings the installed controller reads from its environment, as this checkout resolved them (no credentials). */
export function controllerSettings(config: SfConfig): Record<string, string> {
  return {
    SF_REGISTRY: config.SF_REGISTRY ?? '',
    SF_CONTROLLER_INTERVAL: String(config.SF_CONTROLLER_INTERVAL),
    SF_RPC_SHUTDOWN_GRACE_MS: String(config.SF_RPC_SHUTDOWN_GRACE_MS),
    SF_VEGA_DRAIN_STOP_TIME: String(config.SF_VEGA_DRAIN_STOP_TIME),
    ...(config.SF_VEGA_FRONT_IMAGE ? { SF_VEGA_FRONT_IMAGE: config.SF_VEGA_FRONT_IMAGE } : {}),
    ...(config.SF_VEGA_ALLOW_PUBLIC ? { SF_VEGA_ALLOW_PUBLIC: '1' } : {}),
    ...analysisSettings(config),
  }
}

/** The analysis rules a rollout judges by, as set here. */
function analysisSettings(config: SfConfig): Record<string, string> {
  const keys = ['SF_ANALYSIS_MAX_5XX_PERCENT', 'SF_ANALYSIS_LATENCY_FACTOR', 'SF_ANALYSIS_LATENCY_FLOOR_MS', 'SF_ANALYSIS_MIN_REQUESTS', 'SF_ANALYSIS_BASELINE_SECONDS'] as const
  return Object.fromEntries(keys.map((key) => [key, String(config[key])]))
}

export async function installController(o: InstallOptions): Promise<{ container: string; image: string; state: ControllerState }> {
  const { env, config, progress, installed } = o
  const { name } = installed.target
  const container = controllerName(name)
  let done = progress.phase('check the engine')
  const engine = await engineAnswers(env)
  if (!engine.ok) throw new DockerError(engine.reason)
  let socket: fs.Stats
  try {
    socket = fs.statSync(config.SF_DOCKER_SOCKET)
  } catch {
    throw new ConfigError(`SF_DOCKER_SOCKET=${config.SF_DOCKER_SOCKET}: no such socket; the controller drives the engine through it: set SF_DOCKER_SOCKET to the engine's socket`)
  }
  if (!socket.isSocket()) throw new ConfigError(`SF_DOCKER_SOCKET=${config.SF_DOCKER_SOCKET}: is not a socket; set it to the engine's socket`)
  const existing = await inspectContainer(container, env)
  if (existing && existing.labels['sf.role'] !== 'sf-controller') {
    throw new ConfigError(`a container named ${container} exists that controller:install did not make: remove it (docker rm -f ${container}) or rename the target`)
  }
  if (o.image) {
    const found = await docker(imageInspectArgs(o.image, '{{.Id}}'), { env, allowFailure: true })
    if (found.code !== 0) throw new ConfigError(`--image ${o.image}: no such image on this engine (${firstLine(found.stderr)}): build one with npm run controller:install without --image`)
  }
  done(`engine ${engine.version}${existing ? `; replaces ${container} (${existing.running ? 'running' : 'stopped'})` : ''}`)

  const image = o.image ?? (await buildControllerImage({ root: o.root, env, progress, baseImage: config.SF_BASE_IMAGE })).tag

  done = progress.phase('save the registry credentials')
  const credentials = credentialsFile(config.SF_HOME, name)
  fs.mkdirSync(config.SF_HOME, { recursive: true, mode: 0o700 })
  if (config.SF_REGISTRY_USER && config.SF_REGISTRY_PASSWORD) {
    fs.mkdirSync(path.dirname(credentials), { recursive: true, mode: 0o700 })
    fs.writeFileSync(credentials, JSON.stringify({ user: config.SF_REGISTRY_USER, password: config.SF_REGISTRY_PASSWORD }), { mode: 0o600 })
    done(`${credentials} (0600)`)
  } else {
    fs.rmSync(credentials, { force: true })
    done('none: the registry needs none')
  }

  if (existing) {
    done = progress.phase(`stop ${container}`)
    await docker(stopArgs(container, 60), { env, allowFailure: true })
    await docker(removeContainerArgs(container, { force: true }), { env })
    done('a rollout it was in was finished or is put right by the new one')
  }
  done = progress.phase(`start ${container}`)
  const values = controllerSettings(config)
  const started = new Date().toISOString()
  const spec = controllerContainer({ name, image, installed, sfHome: config.SF_HOME, dockerSocket: config.SF_DOCKER_SOCKET, env: values })
  await docker(runDetachedArgs(spec), { env })
  done(`${image}, follows ${installed.channel}`)

  done = progress.phase('wait for its first check')
  const file = controllerStateFile(config.SF_HOME, name)
  const deadline = Date.now() + (o.firstCheckMs ?? 60_000)
  for (;;) {
    const state = readControllerState(file)
    const fresh = state && state.controller.startedAt >= started ? state : null
    // Its first check done, or its first check rolling the channel's digest (which may take minutes).
    if (fresh?.rolling || (fresh?.lastCheck && fresh.lastCheck.at >= started)) {
      done(fresh.rolling ? `rolling ${fresh.rolling.digest}` : fresh.lastCheck!.outcome)
      return { container, image, state: fresh }
    }
    const running = await inspectContainer(container, env)
    if (!running?.running || Date.now() > deadline) {
      const logs = await docker(['logs', '--tail', '20', container], { env, allowFailure: true })
      throw new DockerError(`${container} ${running?.running ? 'made no check in time' : 'stopped'}:\n${logs.stdout}${logs.stderr}\nsee docker logs ${container}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
