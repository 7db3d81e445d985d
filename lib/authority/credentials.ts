// Registry credentials for one docker call: a docker config of its own in a 0700 temp dir, removed
// afterwards, so the password is never on a command line, in a log or in the user's ~/.docker. A
// signal meanwhile stops docker and removes the dir before the command ends with 128+signal.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Env } from '../env.ts'
import { ConfigError, InterruptedError } from '../errors.ts'
import { registryHost } from './image-ref.ts'

export interface RegistryAccess {
  registry: string
  user?: string
  password?: string
}

/** A check of the pair before anything runs: both or neither. */
export function credentialsProblem(access: RegistryAccess): string | null {
  if (Boolean(access.user) === Boolean(access.password)) return null
  return access.user
    ? 'SF_REGISTRY_USER is set but SF_REGISTRY_PASSWORD is not: set both (Forgejo secrets) or neither'
    : 'SF_REGISTRY_PASSWORD is set but SF_REGISTRY_USER is not: set both (Forgejo secrets) or neither'
}

/** The signals a CI runner or a terminal stops a command with. */
const stopSignals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP']

/**
 * Run `body` with an env whose DOCKER_CONFIG holds the registry's credentials (the env as is without
 * them). `body` passes `signal` to its docker calls: a signal to this process aborts it, which stops
 * docker; once docker has exited the config is removed and an InterruptedError names the signal.
 */
export async function withRegistryAccess<T>(access: RegistryAccess, env: Env, body: (env: Env, signal: AbortSignal) => Promise<T>): Promise<T> {
  const problem = credentialsProblem(access)
  if (problem) throw new ConfigError(problem)
  const stopped = new AbortController()
  const handlers = stopSignals.map((s) => [s, () => stopped.abort(s)] as const)
  for (const [s, h] of handlers) process.on(s, h)
  let dir: string | undefined
  let result: T | undefined
  try {
    if (access.user && access.password) {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-registry-auth-'))
      const auth = Buffer.from(`${access.user}:${access.password}`).toString('base64')
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { [registryHost(access.registry)]: { auth } } }), { mode: 0o600 })
    }
    result = await body(dir ? { ...env, DOCKER_CONFIG: dir } : env, stopped.signal)
  } catch (error) {
    if (!stopped.signal.aborted) throw error
  } finally {
    if (dir) await fs.rm(dir, { recursive: true, force: true })
    for (const [s, h] of handlers) process.off(s, h)
  }
  if (stopped.signal.aborted) {
    const signal = stopped.signal.reason as NodeJS.Signals
    throw new InterruptedError(`interrupted by ${signal}: docker stopped${dir ? ' and the registry credentials removed' : ''}`, signal)
  }
  return result as T
}
