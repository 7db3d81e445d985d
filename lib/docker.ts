// Every docker call goes through here. Builders are pure and only return argument arrays (unit tests
// compare them exactly); docker() is the one runner, over lib/run.ts, without a shell.
import type { Env } from './env.ts'
import { CommandError } from './errors.ts'
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
    return { ok: false, reason: `no Docker Engine answers (${(error as Error).message}): ${howToGetAnEngine}` }
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
