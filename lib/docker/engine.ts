// The one runner every docker call goes through, without a shell, and the checks and builds that
// need the engine itself. The arguments come from the pure builders in args.ts.
import type { Env } from '../env.ts'
import { CommandError, DockerError } from '../errors.ts'
import type { Progress } from '../progress.ts'
import { run, type RunResult } from '../run.ts'
import { buildArgs, type BuildSpec } from './args.ts'

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
  /** Stop docker when this aborts (a signal to this process, with credentials in its config). */
  signal?: AbortSignal
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
    signal: options.signal,
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

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}
