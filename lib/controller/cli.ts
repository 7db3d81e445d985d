// The controller's three commands over one set-up: which target (--target, or the installed one),
// the checks that refuse before anything starts, and the registry credentials (the environment's, or
// the file controller:install wrote). `controller` runs the loop, `controller:install` puts it in a
// container, `controller:status` reads what it reports.
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { flagsOrConfigError } from '../cli.ts'
import { docker } from '../docker/engine.ts'
import type { Env, SfConfig } from '../env.ts'
import { ConfigError } from '../errors.ts'
import { credentialsProblem } from '../authority/credentials.ts'
import { homeVolume } from '../authority/docker-server.ts'
import { dockerTargetProblems } from '../authority/docker-target.ts'
import { readTargets } from '../authority/targets.ts'
import { credentialsFile, findControllerTarget, installedTargetSchema, type ControllerTarget } from './setup.ts'

export interface ControllerArgs {
  target: string | undefined
  installed: boolean
  once: boolean
  json: boolean
  image: string | undefined
  probeTimeoutMs: number
}

export function parseControllerArgs(args: string[], command: string): ControllerArgs {
  const { values } = flagsOrConfigError(() =>
    parseArgs({
      args,
      options: {
        target: { type: 'string' },
        installed: { type: 'boolean', default: false },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        image: { type: 'string' },
        'probe-timeout': { type: 'string', default: '120' },
      },
    }),
  )
  if (!values.target && !values.installed) throw new ConfigError(`${command} needs --target NAME: the container name of a docker target in SF_TARGETS (npm run ${command} -- --target sf-prod)`)
  const seconds = Number(values['probe-timeout'])
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`--probe-timeout ${JSON.stringify(values['probe-timeout'])}: must be whole seconds from 1 to 3600`)
  }
  return { target: values.target, installed: values.installed, once: values.once, json: values.json, image: values.image, probeTimeoutMs: seconds * 1000 }
}

/**
 * The target this host's controller runs for. Its `host` is the deployer's way to this engine; here
 * the controller is on it, so the local engine (DOCKER_HOST, else the socket) is used.
 */
export function controllerTarget(args: ControllerArgs, config: SfConfig, env: Env): ControllerTarget {
  let found: ControllerTarget
  if (args.installed) {
    let value: unknown = null
    try {
      value = JSON.parse(env.SF_CONTROLLER_TARGET ?? 'null')
    } catch {
      // Not JSON: refused below like any other value that is not a target.
    }
    const parsed = installedTargetSchema.safeParse(value)
    if (!parsed.success || parsed.data.target.kind !== 'docker') throw new ConfigError('SF_CONTROLLER_TARGET is not a docker target: install the controller again (npm run controller:install -- --target NAME)')
    found = { channel: parsed.data.channel, path: parsed.data.path, target: parsed.data.target }
  } else {
    found = findControllerTarget(readTargets(config.SF_TARGETS), args.target!, config.SF_TARGETS)
  }
  const target = { ...found.target, host: undefined }
  const problems = [
    ...(config.SF_REGISTRY ? [] : ['SF_REGISTRY is not set: set it to the registry npm run publish-image pushes to']),
    ...dockerTargetProblems(target, found.channel, config, found.path),
  ]
  if (problems.length) throw new ConfigError(`cannot run the controller of ${found.path}:\n  ${problems.join('\n  ')}`, problems)
  return { ...found, target }
}

/** The config with the registry credentials: the environment's, else those controller:install saved. */
export function withSavedCredentials(config: SfConfig, name: string): SfConfig {
  const problem = credentialsProblem({ registry: config.SF_REGISTRY ?? '', user: config.SF_REGISTRY_USER, password: config.SF_REGISTRY_PASSWORD })
  if (problem) throw new ConfigError(problem)
  if (config.SF_REGISTRY_USER) return config
  let saved: { user?: string; password?: string }
  try {
    saved = JSON.parse(fs.readFileSync(credentialsFile(config.SF_HOME, name), 'utf8')) as typeof saved
  } catch {
    return config
  }
  return { ...config, SF_REGISTRY_USER: saved.user, SF_REGISTRY_PASSWORD: saved.password }
}

/** Where the target's home volume is on this machine, to copy the state into; null when it does not exist yet. */
export async function homeVolumeDir(name: string, env: Env): Promise<string | null> {
  const inspected = await docker(['volume', 'inspect', '--format', '{{.Mountpoint}}', homeVolume(name)], { env, allowFailure: true })
  return inspected.code === 0 ? inspected.stdout.trim() : null
}
