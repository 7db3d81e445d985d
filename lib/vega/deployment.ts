// The configuration the vega server was last deployed with, recorded under SF_HOME by up, upgrade
// and rollback. A server upgrading itself starts the upgrader with it, so that the upgrader runs
// with the variables the CLI had (port, bind, front, images), which the server's own environment
// does not carry. Paths the server knows better (SF_HOME and the workspaces, as *_HOST_DIR) are not
// recorded; secrets never are.
import fs from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import type { SfConfig } from '../env.ts'

/** The variables that shape a vega deployment besides its paths. */
export const deploymentVariables = [
  'SF_VEGA_NAME',
  'SF_VEGA_BIND',
  'SF_VEGA_PORT',
  'SF_VEGA_METRICS_PORT',
  'SF_VEGA_PROBE_HOST',
  'SF_VEGA_DRAIN_STOP_TIME',
  'SF_VEGA_ALLOW_PUBLIC',
  'SF_VEGA_IMAGE',
  'SF_VEGA_FRONT',
  'SF_VEGA_FRONT_IMAGE',
  'SF_BASE_IMAGE',
  'SF_ALLOWED_HOSTS',
  'SF_RPC_SHUTDOWN_GRACE_MS',
  'SF_DOCKER_SOCKET',
] as const satisfies readonly (keyof SfConfig)[]

const recordSchema = z.object({ at: z.string(), env: z.record(z.string(), z.string()) })
export type Deployment = z.infer<typeof recordSchema>

export function deploymentFile(sfHome: string, name: string): string {
  return path.join(sfHome, 'vega', name, 'deployment.json')
}

/** The deployment variables of `config` as environment strings, the unset ones left out. */
export function deploymentEnv(config: SfConfig): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of deploymentVariables) {
    const value: unknown = config[name]
    if (value === undefined) continue
    env[name] = Array.isArray(value) ? value.join(',') : typeof value === 'boolean' ? (value ? '1' : '0') : String(value)
  }
  return env
}

/**
 * Only the deployment variables of a recorded env: the file lives under SF_HOME, and whatever else it
 * holds must not reach the upgrader, which runs with the docker socket and the host's pids.
 */
export function deploymentVariablesOf(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(deploymentVariables.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])))
}

export async function recordDeployment(config: SfConfig): Promise<void> {
  const file = deploymentFile(config.SF_HOME, config.SF_VEGA_NAME)
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const record: Deployment = { at: new Date().toISOString(), env: deploymentEnv(config) }
  await fs.writeFile(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 })
  await fs.rename(`${file}.tmp`, file)
}

/** The record, or null when there is none or it cannot be read. */
export async function readDeployment(sfHome: string, name: string): Promise<Deployment | null> {
  try {
    return recordSchema.parse(JSON.parse(await fs.readFile(deploymentFile(sfHome, name), 'utf8')))
  } catch {
    return null
  }
}
