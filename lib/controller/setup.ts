// Which target a controller runs for, and the container it runs in. `--target` names a docker target of
// SF_TARGETS by its container name, or by its place (prod.1) when a list names it twice; the channel
// it follows is its environment's. Installed, the controller runs as `<name>-controller` from an image
// of the toolkit's commit: the docker socket and SF_HOME mounted at their own paths (so the front's
// admin socket and the paths it hands docker mean the same inside and out), the host's network and pid
// namespace (its probes reach the published loopback ports; its lock's pid is a host pid), the
// target's home volume (where the server reads its state), and the target itself, resolved at
// install, in its environment.
import path from 'node:path'
import { z } from 'zod'
import type { ContainerSpec } from '../docker/args.ts'
import { ConfigError } from '../errors.ts'
import { homeVolume } from '../authority/docker-server.ts'
import { controllerName, targetStateDir } from '../authority/docker-target.ts'

export { controllerName }
import { dockerTargets, targetSchema, type DockerTarget, type Targets } from '../authority/targets.ts'
import { channelSchema, type Channel } from '../server/controller-state.ts'

/** Where the installed controller sees the target's home volume (the server's SF_HOME). */
export const publishMount = '/run/sf-target-home'

/** The target as the installed controller reads it from its environment (SF_CONTROLLER_TARGET). */
export const installedTargetSchema = z.object({ channel: channelSchema, path: z.string(), target: targetSchema })

export interface ControllerTarget {
  target: DockerTarget
  channel: Channel
  path: string
}

/** The docker target `--target` names: by container name, or by place (`prod.1`, `targets.prod.1`). */
export function findControllerTarget(targets: Targets, wanted: string, file: string): ControllerTarget {
  const placed = dockerTargets(targets)
  const byPlace = placed.find((p) => p.path === wanted || p.path === `targets.${wanted}`)
  if (byPlace) return { target: byPlace.target, channel: byPlace.which, path: byPlace.path }
  const byName = placed.filter((p) => p.target.name === wanted)
  if (byName.length === 1) return { target: byName[0]!.target, channel: byName[0]!.which, path: byName[0]!.path }
  if (byName.length > 1) {
    throw new ConfigError(`--target ${wanted}: ${byName.map((p) => p.path).join(' and ')} both name it: give the one this host is, such as --target ${byName[0]!.path.replace(/^targets\./, '')}`)
  }
  const names = placed.map((p) => `${p.target.name} (${p.path.replace(/^targets\./, '')})`)
  throw new ConfigError(
    `--target ${wanted}: ${file} has no docker target of that name${names.length ? `; it has ${names.join(', ')}` : ' (a controller runs for a docker target only)'}: name one of them, or add it to the file`,
  )
}

export interface ControllerContainerInputs {
  name: string
  image: string
  installed: ControllerTarget
  sfHome: string
  dockerSocket: string
  /** SF_REGISTRY and the other settings the controller reads; no credentials (those are in a file under SF_HOME). */
  env: Record<string, string>
}

export function controllerContainer(i: ControllerContainerInputs): ContainerSpec {
  const name = controllerName(i.name)
  return {
    name,
    image: i.image,
    command: ['--installed'],
    env: {
      ...i.env,
      SF_HOME: i.sfHome,
      DOCKER_HOST: `unix://${i.dockerSocket}`,
      SF_CONTROLLER_CONTAINER: name,
      SF_CONTROLLER_TARGET: JSON.stringify({ channel: i.installed.channel, path: i.installed.path, target: i.installed.target }),
      SF_CONTROLLER_PUBLISH_DIR: publishMount,
    },
    mounts: [
      { source: i.sfHome, target: i.sfHome },
      { source: i.dockerSocket, target: i.dockerSocket },
      { source: homeVolume(i.name), target: publishMount, volume: true },
    ],
    ports: [],
    groupAdd: [],
    restart: 'unless-stopped',
    stopSignal: 'SIGTERM',
    // A rollout in progress is finished before it stops: a settle window and a drain, well under this.
    stopTimeout: 60,
    labels: { 'sf.role': 'sf-controller', 'sf.target': i.name, 'sf.channel': i.installed.channel },
    network: { name: 'host', aliases: [] },
    pid: 'host',
  }
}

/** The registry credentials the installed controller reads: a 0600 file under SF_HOME, never on a command line. */
export function credentialsFile(sfHome: string, name: string): string {
  return path.join(targetStateDir(sfHome, name), 'controller-registry.json')
}
