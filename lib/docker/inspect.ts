// What `docker container inspect` says of a container, read into the few facts the scripts use.
import type { Env } from '../env.ts'
import { DockerError } from '../errors.ts'
import { containerInspectArgs, type PortBinding } from './args.ts'
import { docker, firstLine } from './engine.ts'

/** What `docker container inspect` says of a container that the scripts read. */
export interface ContainerState {
  id: string
  name: string
  /** The image as the container was created from (a tag or an id). */
  image: string
  /** The id of that image. */
  imageId: string
  running: boolean
  /** Times the restart policy restarted it: more than 0 means it crashed. */
  restartCount: number
  exitCode: number
  startedAt: string
  health: string | null
  labels: Record<string, string>
  env: Record<string, string>
  mounts: { source: string; target: string }[]
  ports: PortBinding[]
  groupAdd: string[]
}

/** The container named `name`, or null when there is none. A check: it never throws for absence. */
export async function inspectContainer(name: string, env: Env): Promise<ContainerState | null> {
  const result = await docker(containerInspectArgs(name), { env, allowFailure: true })
  if (result.code !== 0) {
    if (/no such (container|object)/i.test(result.stderr)) return null
    throw new DockerError(`docker container inspect ${name} failed: ${firstLine(result.stderr)}`)
  }
  return parseContainerInspect(result.stdout)
}

export function parseContainerInspect(json: string): ContainerState {
  const [c] = JSON.parse(json) as InspectJson[]
  if (!c) throw new DockerError('docker container inspect printed no container')
  const bindings = c.HostConfig.PortBindings ?? {}
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    running: c.State.Running,
    restartCount: c.RestartCount ?? 0,
    exitCode: c.State.ExitCode,
    startedAt: c.State.StartedAt,
    health: c.State.Health?.Status ?? null,
    labels: c.Config.Labels ?? {},
    env: Object.fromEntries((c.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    mounts: (c.Mounts ?? []).map((m) => ({ source: m.Source, target: m.Destination })),
    ports: Object.entries(bindings).flatMap(([key, list]) =>
      (list ?? []).map((b) => ({ bind: b.HostIp, hostPort: Number(b.HostPort), containerPort: Number(key.split('/')[0]) })),
    ),
    groupAdd: c.HostConfig.GroupAdd ?? [],
  }
}

interface InspectJson {
  Id: string
  Image: string
  RestartCount?: number
  Name: string
  Config: { Image: string; Labels?: Record<string, string>; Env?: string[] }
  State: { Running: boolean; ExitCode: number; StartedAt: string; Health?: { Status: string } }
  HostConfig: { PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null>; GroupAdd?: string[] | null }
  Mounts?: { Source: string; Destination: string }[]
}
