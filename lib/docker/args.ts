// Every docker call goes through here. Builders are pure and only return argument arrays (unit tests
// compare them exactly); docker() is the one runner, over lib/run.ts, without a shell.
import type { Env } from './env.ts'
import { CommandError, DockerError } from './errors.ts'
import type { Progress } from './progress.ts'
import { run, type RunResult } from './run.ts'

export interface DockerOptions {
  env: Env
  cwd?: string
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void
  /** Resolve with the result instead of throwing when docker exits non-zero. */
  allowFailure?: boolean
  /** Kill docker after this long (exit code 124). For probes of an engine that may hang. */
  timeoutMs?: number
  /** `docker build` uses BuildKit unless this is false (for CLIs that need the missing buildx plugin). */
  buildkit?: boolean
}

/** The program, arguments and environment one docker call runs with. */
export interface DockerInvocation {
  command: string
  args: string[]
  env: Env
}

/**
 * run() has no deadline of its own, so a timeout runs docker under coreutils `timeout`, which kills
 * it: a hung engine must not keep this process alive after the caller has given up.
 */
export function dockerInvocation(args: readonly string[], options: DockerOptions): DockerInvocation {
  const env =
    args[0] === 'build' ? { ...options.env, DOCKER_BUILDKIT: options.buildkit === false ? '0' : '1' } : options.env
  if (options.timeoutMs === undefined) return { command: 'docker', args: [...args], env }
  const seconds = `${options.timeoutMs / 1000}s`
  return { command: 'timeout', args: ['--kill-after=2s', seconds, 'docker', ...args], env }
}

export function docker(args: readonly string[], options: DockerOptions): Promise<RunResult> {
  const call = dockerInvocation(args, options)
  return run(call.command, call.args, {
    cwd: options.cwd,
    env: call.env,
    onLine: options.onLine,
    allowFailure: options.allowFailure,
  })
}

export type EngineAnswer = { ok: true; version: string } | { ok: false; reason: string }

const howToGetAnEngine =
  'install one with `apt-get install -y docker.io`, then start dockerd (or set DOCKER_HOST to an engine that runs)'

/** Whether a Docker Engine answers, and its version. A check: it never throws. */
export async function engineAnswers(env: Env, timeoutMs = 5000): Promise<EngineAnswer> {
  let result: RunResult
  try {
    result = await docker(['version', '--format', '{{.Server.Version}}'], { env, allowFailure: true, timeoutMs })
  } catch (error) {
    const message = (error as Error).message
    const detail = /spawn timeout ENOENT/.test(message) ? 'coreutils `timeout`, which bounds the wait, is not on PATH' : message
    return { ok: false, reason: `no Docker Engine answers (${detail}): ${howToGetAnEngine}` }
  }
  const version = result.stdout.trim()
  if (result.code === 0 && version) return { ok: true, version }
  const detail =
    result.code === 124
      ? `docker version got no answer within ${timeoutMs / 1000}s`
      : result.code === 127
        ? 'the docker CLI is not on PATH'
        : firstLine(result.stderr) || `docker version exited with ${result.code}`
  return { ok: false, reason: `no Docker Engine answers (${detail}): ${howToGetAnEngine}` }
}

/**
 * True when docker failed only because this CLI (23 and later) does BuildKit through the buildx
 * plugin and the plugin is missing; the classic builder still works then.
 */
export function needsBuildxPlugin(error: unknown): boolean {
  return error instanceof CommandError && /buildx component is missing/i.test(error.output)
}

/** Set once BuildKit was found to need the missing buildx plugin, so later builds go straight on. */
let classicOnly = false

/**
 * Build an image, showing the builder's output as progress notes. BuildKit first; the classic builder
 * only when this CLI lacks the buildx plugin BuildKit needs.
 */
export async function buildImage(spec: BuildSpec, env: Env, progress: Progress): Promise<void> {
  const onLine = (line: string) => line.trim() && progress.note(line.trimEnd())
  if (!classicOnly) {
    try {
      await docker(buildArgs(spec), { env, onLine })
      return
    } catch (error) {
      if (!needsBuildxPlugin(error)) throw buildFailed(spec.tag, error)
    }
    classicOnly = true
  }
  progress.note('this docker CLI does BuildKit only through the buildx plugin, which is missing: using the classic builder')
  await docker(buildArgs(spec), { env, buildkit: false, onLine }).catch((error: unknown) => {
    throw buildFailed(spec.tag, error)
  })
}

function buildFailed(tag: string, error: unknown): DockerError {
  return new DockerError(`docker build of ${tag} failed: ${(error as Error).message}`)
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}

// ---- builders: pure, they only return argument arrays ----

export interface BuildSpec {
  dockerfile: string
  context: string
  tag: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
}

export function buildArgs(spec: BuildSpec): string[] {
  return [
    'build',
    '--file',
    spec.dockerfile,
    '--tag',
    spec.tag,
    ...pairs('--build-arg', spec.buildArgs),
    ...pairs('--label', spec.labels),
    spec.context,
  ]
}

/** Prints one Go template of an image's metadata; exits non-zero when the image does not exist. */
export function imageInspectArgs(image: string, format: string): string[] {
  return ['image', 'inspect', '--format', format, image]
}

/** Exits 0 exactly when the image exists locally (prints its id). */
export function imageExistsArgs(image: string): string[] {
  return imageInspectArgs(image, '{{.Id}}')
}

/** Image ids (one a line) carrying every given label. */
export function imagesWithLabelsArgs(labels: Record<string, string>): string[] {
  return ['image', 'ls', '--quiet', '--no-trunc', ...labelFilters(labels)]
}

export function removeImagesArgs(images: readonly string[]): string[] {
  return ['image', 'rm', '--force', ...images]
}

export interface Mount {
  source: string
  target: string
  readOnly?: boolean
}

export interface RunSpec {
  image: string
  /** Arguments after the image: the command, or arguments to the image's entrypoint. */
  command?: readonly string[]
  name?: string
  /** Remove the container when it exits (--rm). */
  remove?: boolean
  user?: string
  workdir?: string
  /** `none` cuts the container off every network. */
  network?: string
  env?: Record<string, string>
  labels?: Record<string, string>
  mounts?: readonly Mount[]
}

/** `docker run` in the foreground: its output is the container's, its exit code the command's. */
export function runArgs(spec: RunSpec): string[] {
  return [
    'run',
    ...(spec.remove ? ['--rm'] : []),
    ...(spec.name ? ['--name', spec.name] : []),
    ...pairs('--label', spec.labels ?? {}),
    ...(spec.user ? ['--user', spec.user] : []),
    ...(spec.workdir ? ['--workdir', spec.workdir] : []),
    ...(spec.network ? ['--network', spec.network] : []),
    ...pairs('--env', spec.env ?? {}),
    ...(spec.mounts ?? []).flatMap((m) => ['--volume', `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`]),
    spec.image,
    ...(spec.command ?? []),
  ]
}

/** Container ids (one a line), running or not, carrying every given label. */
export function containersWithLabelsArgs(labels: Record<string, string>): string[] {
  return ['container', 'ls', '--all', '--quiet', '--no-trunc', ...labelFilters(labels)]
}

export function removeContainersArgs(containers: readonly string[]): string[] {
  return ['container', 'rm', '--force', '--volumes', ...containers]
}

function pairs(flag: string, values: Record<string, string>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [flag, `${key}=${value}`])
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ['--filter', `label=${key}=${value}`])
}

// ---- long-running containers ----

export interface PortBinding {
  /** Host address the port is published on. */
  bind: string
  hostPort: number
  containerPort: number
}

/** A long-running container, defined once and rendered into `docker run` (and checked against compose). */
export interface ContainerSpec {
  name: string
  image: string
  command: readonly string[]
  env: Record<string, string>
  /** Bind mounts; `--mount` refuses a missing source instead of creating it as root. */
  mounts: readonly Mount[]
  ports: readonly PortBinding[]
  groupAdd: readonly string[]
  restart: 'no' | 'unless-stopped'
  stopSignal: string
  /** Seconds `docker stop` waits before SIGKILL. */
  stopTimeout: number
  labels: Record<string, string>
}

/** `docker run --detach` for a long-running container. */
export function runDetachedArgs(spec: ContainerSpec): string[] {
  return [
    'run',
    '--detach',
    '--name',
    spec.name,
    '--restart',
    spec.restart,
    '--stop-signal',
    spec.stopSignal,
    '--stop-timeout',
    String(spec.stopTimeout),
    ...spec.groupAdd.flatMap((g) => ['--group-add', g]),
    ...spec.ports.flatMap((p) => ['--publish', `${p.bind}:${p.hostPort}:${p.containerPort}`]),
    ...pairs('--env', spec.env),
    ...spec.mounts.flatMap((m) => ['--mount', `type=bind,source=${m.source},target=${m.target}${m.readOnly ? ',readonly' : ''}`]),
    ...pairs('--label', spec.labels),
    spec.image,
    ...spec.command,
  ]
}

/** Drain: SIGTERM (the image's stop signal), then SIGKILL after `seconds`; returns as soon as it exits. */
export function stopArgs(name: string, seconds: number): string[] {
  return ['stop', '--time', String(seconds), name]
}

export function removeContainerArgs(name: string, options: { force?: boolean } = {}): string[] {
  return ['rm', ...(options.force ? ['--force'] : []), name]
}

/** JSON of one container; exits non-zero when there is none by that name. */
export function containerInspectArgs(name: string): string[] {
  return ['container', 'inspect', name]
}

export function logsArgs(name: string, tail: number): string[] {
  return ['logs', '--tail', String(tail), name]
}

export function renameArgs(from: string, to: string): string[] {
  return ['rename', from, to]
}

export function startArgs(name: string): string[] {
  return ['start', name]
}

export function execArgs(name: string, command: readonly string[]): string[] {
  return ['exec', name, ...command]
}

/** Containers (any state) publishing `hostPort`, as `name<TAB>ports` lines. */
export function containersPublishingArgs(hostPort: number): string[] {
  return ['container', 'ls', '--all', '--filter', `publish=${hostPort}`, '--format', '{{.Names}}\t{{.Ports}}']
}

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
