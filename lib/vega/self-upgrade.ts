// A server upgrading itself: the checks an upgrade request must pass, in order, and the start of the
// upgrader container (upgrader.ts). Every refusal is a SelfUpgradeRefused carrying the HTTP status
// the endpoint answers with, and nothing is started before all checks have passed.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { engineNameArgs, runArgs, runDetachedArgs } from '../docker/args.ts'
import { docker, firstLine } from '../docker/engine.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import type { Env, SfConfig } from '../env.ts'
import { SfError } from '../errors.ts'
import { gitState, type GitState } from '../git.ts'
import { parseCanary } from './args.ts'
import { readDeployment } from './deployment.ts'
import { lockFile } from '../front/lock.ts'
import { describeLock, lockState, type EngineHost, type LockState } from '../front/lock-state.ts'
import { eventsFile, newUpgradeId, upgraderContainer, upgraderName, upgradesDir, type UpgraderAction } from './upgrader.ts'

export class SelfUpgradeRefused extends SfError {
  override name = 'SelfUpgradeRefused'
  constructor(
    message: string,
    readonly status: 400 | 409 | 412 | 503,
  ) {
    super(message)
  }
}

export interface SelfUpgradeRequest {
  /** Refuse unless the checkout's HEAD is this commit (or starts with it). */
  expectCommit?: string
  /** The new server's shares in % before it takes every request (docker:vega:upgrade --canary). */
  canary?: number[]
  /** Seconds each canary step lasts (--step). */
  step?: number
}

const bodyShape = '{} or {"expectCommit": "<commit>", "canary": [10, 50], "step": 30}'

/** The request body: empty, or a JSON object with any of expectCommit, canary and step. */
export function parseSelfUpgradeBody(text: string): SelfUpgradeRequest {
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new SelfUpgradeRefused(`the body is not JSON (${(error as Error).message}): send ${bodyShape}`, 400)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SelfUpgradeRefused(`the body must be a JSON object: ${bodyShape}`, 400)
  const fields = ['expectCommit', 'canary', 'step']
  const unknown = Object.keys(body).filter((k) => !fields.includes(k))
  if (unknown.length) throw new SelfUpgradeRefused(`unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}: the body takes only expectCommit, canary and step`, 400)
  const { expectCommit: expect, canary, step } = body as { expectCommit?: unknown; canary?: unknown; step?: unknown }
  const request: SelfUpgradeRequest = {}
  if (expect !== undefined) {
    if (typeof expect !== 'string' || !/^[0-9a-f]{7,40}$/.test(expect)) throw new SelfUpgradeRefused(`expectCommit ${quotedStart(expect)}: must be 7 to 40 lower-case hex digits of a commit`, 400)
    request.expectCommit = expect
  }
  if (canary !== undefined) {
    if (!Array.isArray(canary) || !canary.every((n) => Number.isInteger(n))) throw new SelfUpgradeRefused(`canary ${quotedStart(canary)}: must be a list of shares in %, such as [10, 50]`, 400)
    try {
      request.canary = parseCanary(canary.join(','))
    } catch (error) {
      throw new SelfUpgradeRefused((error as Error).message.replace(/^--canary "[^"]*"/, `canary ${quotedStart(canary)}`), 400)
    }
  }
  if (step !== undefined) {
    if (!Number.isInteger(step) || (step as number) < 1 || (step as number) > 86_400) throw new SelfUpgradeRefused(`step ${quotedStart(step)}: must be a whole number of seconds from 1 to 86400`, 400)
    if (!request.canary?.length) throw new SelfUpgradeRefused('step: sets how long each canary step lasts, so it needs canary (such as {"canary": [10, 50], "step": 30})', 400)
    request.step = step as number
  }
  return request
}

/** A value as JSON, cut to its first 60 characters: an answer never echoes all of what it refuses. */
function quotedStart(value: unknown): string {
  const quoted = JSON.stringify(value) ?? String(value)
  return quoted.length > 60 ? `${quoted.slice(0, 60)}… (${quoted.length} characters)` : quoted
}

/** The checkout a server runs from: the folder holding the dist/ its manifest is in. */
export function checkoutOf(manifestFile: string): string {
  let dir = path.dirname(manifestFile)
  while (path.basename(dir) !== 'dist' && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return path.dirname(dir)
}

/** What an upgrade would build: the checkout's HEAD, or why it cannot be read. */
export async function checkoutHead(config: SfConfig): Promise<GitState | { error: string }> {
  return gitState(checkoutOf(config.SF_RELEASE_MANIFEST)).catch((error: Error) => ({ error: error.message }))
}

/** Why this server cannot start an upgrader, or null: it must run in a vega container with the socket and the host paths. */
export function upgraderUnavailable(config: SfConfig): string | null {
  const hostDirs = ['SF_SOURCE_HOST_ROOT', 'SF_WORKSPACE_HOST_DIR', 'SF_WORKSPACES_HOST_DIR', 'SF_HOME_HOST_DIR'] as const
  const missing = hostDirs.filter((v) => !config[v])
  if (missing.length) {
    return `this server cannot upgrade itself: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set, so it does not run in a container docker:vega:up made (under npm start there is nothing to upgrade this way); on the host, run npm run docker:vega:up once, or npm run docker:vega:upgrade`
  }
  if (!isSocket(config.SF_DOCKER_SOCKET)) {
    return `this server cannot upgrade itself: the docker socket ${config.SF_DOCKER_SOCKET} is not mounted into it; run npm run docker:vega:up on the host, which mounts it (or npm run docker:vega:upgrade there)`
  }
  return null
}

export interface StartedUpgrade {
  id: string
  action: UpgraderAction
  container: string
  /** The lock a dead holder left, which the upgrader recovers. */
  staleLock: string | null
}

/** Check everything, then start the upgrader container. Throws SelfUpgradeRefused with the status to answer. */
export async function startSelfUpgrade(config: SfConfig, env: Env, action: UpgraderAction, request: SelfUpgradeRequest): Promise<StartedUpgrade> {
  // First whether an upgrade can start here at all: a commit check cannot make it possible.
  const unavailable = upgraderUnavailable(config)
  if (unavailable) throw new SelfUpgradeRefused(unavailable, 503)
  if (request.expectCommit) {
    const head = await checkoutHead(config)
    if ('error' in head) throw new SelfUpgradeRefused(`expectCommit cannot be checked: ${head.error}`, 412)
    if (!head.commit.startsWith(request.expectCommit)) {
      throw new SelfUpgradeRefused(`the checkout's HEAD is ${head.commit}, not ${request.expectCommit}: nothing was started; look at what the checkout holds now (GET /api/server-upgrade) and ask again`, 412)
    }
  }
  const self = await thisContainer(env)
  const name = prodName(self.name)
  const deployment = await readDeployment(config.SF_HOME, name)
  if (!deployment) {
    throw new SelfUpgradeRefused(`this server cannot upgrade itself: no deployment is recorded for ${name} under SF_HOME (it was started before servers could upgrade themselves); run npm run docker:vega:up once on the host, which records it`, 503)
  }
  const lock = await lockState(lockFile(config.SF_HOME, name), env, os.hostname(), await engineHost(env, self.imageId))
  if (lock.state === 'held') throw new SelfUpgradeRefused(`${describeLock(lock)}: wait for it to finish, then ask again`, 409)
  const running = await inspectContainer(upgraderName(name), env)
  if (running) throw new SelfUpgradeRefused(`an upgrader already ${running.running ? 'runs' : 'exists'} (container ${running.name}, upgrade ${running.labels['sf.upgrade.id'] ?? '?'}): wait for it to finish, then ask again`, 409)

  const id = newUpgradeId(new Date(), randomBytes(3).toString('hex'))
  const file = eventsFile(config.SF_HOME, name, id)
  fs.mkdirSync(upgradesDir(config.SF_HOME, name), { recursive: true, mode: 0o700 })
  const staleLock = lock.state === 'stale' ? describeLock(lock) : null
  const line = (fields: Record<string, unknown>) => fs.appendFileSync(file, JSON.stringify(fields) + '\n')
  line({ event: 'requested', id, action, at: new Date().toISOString(), by: `server ${self.name}`, container: upgraderName(name), expectCommit: request.expectCommit ?? null, canary: request.canary ?? [], step: request.step ?? null, staleLock })
  const spec = upgraderContainer({
    name,
    id,
    action,
    image: self.imageId,
    checkout: config.SF_SOURCE_HOST_ROOT!,
    workspaceDir: config.SF_WORKSPACE_HOST_DIR!,
    workspacesDir: config.SF_WORKSPACES_HOST_DIR!,
    sfHome: config.SF_HOME_HOST_DIR!,
    dockerSocket: deployment.env.SF_DOCKER_SOCKET ?? '/var/run/docker.sock',
    dockerGid: fs.statSync(config.SF_DOCKER_SOCKET).gid,
    deployment: deployment.env,
    canary: request.canary ?? [],
    stepSeconds: request.step,
  })
  const started = await docker(runDetachedArgs(spec), { env, allowFailure: true })
  if (started.code !== 0) {
    const error = `docker run ${spec.name} failed: ${firstLine(started.stderr)}`
    line({ event: 'outcome', outcome: 'failed', error })
    // Another request started one first: that is the lock's 409, not a failure of this server.
    if (/already in use/.test(started.stderr)) throw new SelfUpgradeRefused(`another upgrade was just started (container ${spec.name} exists): wait for it to finish, then ask again`, 409)
    throw new SfError(error)
  }
  return { id, action, container: spec.name, staleLock }
}

/** What GET /api/server-upgrade tells before an upgrade: whether one can start, and the lock. */
export async function upgradeAvailability(config: SfConfig, env: Env): Promise<{ unavailable: string | null; lock: LockState | null; name: string | null }> {
  const unavailable = upgraderUnavailable(config)
  if (unavailable) return { unavailable, lock: null, name: null }
  const self = await thisContainer(env).catch((error: Error) => error)
  if (self instanceof Error) return { unavailable: self.message, lock: null, name: null }
  const name = prodName(self.name)
  return { unavailable: null, lock: await lockState(lockFile(config.SF_HOME, name), env, os.hostname(), await engineHost(env, self.imageId)), name }
}

/**
 * The container this server runs in, by its host name (docker's default host name is the
 * container's short id), so its current name and image are the engine's, not what it was started as.
 */
async function thisContainer(env: Env): Promise<ContainerState> {
  const self = await inspectContainer(os.hostname(), env).catch(() => null)
  if (!self) throw new SelfUpgradeRefused(`this server cannot upgrade itself: the engine knows no container by this server's host name ${os.hostname()} (was it started with --hostname?); run npm run docker:vega:upgrade on the host`, 503)
  return self
}

/**
 * The engine's host, for a lock that `npm run docker:vega:upgrade` run there holds: its pids are not
 * this container's, so its /proc entry is read by a throwaway container (this server's own image) in
 * the host's pid namespace, cut off every network.
 */
async function engineHost(env: Env, image: string): Promise<EngineHost | null> {
  const info = await docker(engineNameArgs(), { env, allowFailure: true, timeoutMs: 10_000 })
  if (info.code !== 0 || !info.stdout.trim()) return null
  return {
    name: info.stdout.trim(),
    async stat(pid) {
      const script = `try { process.stdout.write(require('fs').readFileSync('/proc/${pid}/stat', 'utf8')) } catch (e) { process.exit(e.code === 'ENOENT' ? 3 : 1) }`
      const read = await docker(runArgs({ image, remove: true, network: 'none', pid: 'host', command: ['node', '-e', script] }), { env, allowFailure: true, timeoutMs: 30_000 })
      if (read.code === 3) return null
      if (read.code !== 0) throw new SfError(`could not read /proc/${pid}/stat on the engine's host: ${firstLine(read.stderr)}`)
      return read.stdout
    },
  }
}

/**
 * The prod name a server belongs to: a server is started as <name>-candidate, proven, then renamed
 * <name>; while it still carries the candidate's name an upgrade runs, and the lock says so.
 */
export function prodName(container: string): string {
  return container.replace(/-candidate$/, '')
}

function isSocket(file: string): boolean {
  try {
    return fs.statSync(file).isSocket()
  } catch {
    return false
  }
}
