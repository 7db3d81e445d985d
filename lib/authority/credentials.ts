// Registry credentials for one docker call: a docker config of its own in a 0700 temp dir, removed
// afterwards, so the password is never on a command line, in a log or in the user's ~/.docker.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Env } from '../env.ts'
import { ConfigError } from '../errors.ts'
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

/** Run `body` with an env whose DOCKER_CONFIG holds the registry's credentials (the env as is without them). */
export async function withRegistryAccess<T>(access: RegistryAccess, env: Env, body: (env: Env) => Promise<T>): Promise<T> {
  const problem = credentialsProblem(access)
  if (problem) throw new ConfigError(problem)
  if (!access.user || !access.password) return body(env)
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-registry-auth-'))
  try {
    const auth = Buffer.from(`${access.user}:${access.password}`).toString('base64')
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ auths: { [registryHost(access.registry)]: { auth } } }), { mode: 0o600 })
    return await body({ ...env, DOCKER_CONFIG: dir })
  } finally {
    await fs.rm(dir, { recursive: true, force: true })
  }
}
