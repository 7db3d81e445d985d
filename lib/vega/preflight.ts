// Preflight for the vega container: every check runs before anything is changed, and all problems
// are reported at once. Checks return problems and never throw; the caller throws one error.
import fs from 'node:fs'
import { containersPublishingArgs } from '../docker/args.ts'
import { docker, engineAnswers } from '../docker/engine.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import type { Env, SfConfig } from '../env.ts'
import { ConfigError, DockerError } from '../errors.ts'
import { listenProblem } from '../ports.ts'
import { frontMetricsBind, frontName } from '../front/definition.ts'
import { findPortOwner } from '../front/setup.ts'

const anyAddress = new Set(['0.0.0.0', '::', '[::]'])

/** The named rules that look at several variables together. */
export const vegaRules: ((c: SfConfig) => string | null)[] = [
  function publicBindNeedsConsent(c) {
    if (!anyAddress.has(c.SF_VEGA_BIND) || c.SF_VEGA_ALLOW_PUBLIC) return null
    return `SF_VEGA_BIND=${JSON.stringify(c.SF_VEGA_BIND)}: binds every interface. Do not bind public 0.0.0.0 unless a proxy/firewall owns access control; set SF_VEGA_BIND to a private address (the Tailscale address on vega), or SF_VEGA_ALLOW_PUBLIC=1 when a proxy or firewall does own it`
  },
  function frontNeedsTwoProbePorts(c) {
    if (c.SF_VEGA_FRONT !== 'haproxy' || c.SF_VEGA_PORT <= 65533) return null
    return `SF_VEGA_PORT=${c.SF_VEGA_PORT}: behind the front the servers publish the next two ports for their own probes; use 65533 or lower, or SF_VEGA_FRONT=none`
  },
  function frontMetricsPortApart(c) {
    // Past 65533 frontNeedsTwoProbePorts has said what to do.
    if (c.SF_VEGA_FRONT !== 'haproxy' || c.SF_VEGA_PORT > 65533) return null
    const port = c.SF_VEGA_METRICS_PORT
    if (port === undefined) return `SF_VEGA_PORT=${c.SF_VEGA_PORT}: the front's metrics port defaults to SF_VEGA_PORT + 3, past 65535; set SF_VEGA_METRICS_PORT to a free port`
    const taken = [c.SF_VEGA_PORT, c.SF_VEGA_PORT + 1, c.SF_VEGA_PORT + 2].indexOf(port)
    if (taken === -1) return null
    const what = ['SF_VEGA_PORT itself', "slot a's probe port (SF_VEGA_PORT + 1)", "slot b's probe port (SF_VEGA_PORT + 2)"][taken]
    return `SF_VEGA_METRICS_PORT=${port}: it is ${what}; choose another port (the default is SF_VEGA_PORT + 3, ${c.SF_VEGA_PORT + 3})`
  },
  function stopTimeCoversDrain(c) {
    if (c.SF_VEGA_DRAIN_STOP_TIME * 1000 > c.SF_RPC_SHUTDOWN_GRACE_MS) return null
    const cap = Math.ceil(c.SF_RPC_SHUTDOWN_GRACE_MS / 1000)
    return `SF_VEGA_DRAIN_STOP_TIME=${c.SF_VEGA_DRAIN_STOP_TIME}: docker stop would kill the server before its drain cap SF_RPC_SHUTDOWN_GRACE_MS=${c.SF_RPC_SHUTDOWN_GRACE_MS} ms; make it more than ${cap} (the default keeps a 10 s margin: ${cap + 10})`
  },
]

export interface Preflight {
  dockerGid: number
  /** The container already running under the name, which the run replaces. */
  existing: ContainerState | null
  /** The address the scripts probe. */
  probeHost: string
}

export async function preflightVega(config: SfConfig, env: Env, port = config.SF_VEGA_PORT, name = config.SF_VEGA_NAME): Promise<Preflight> {
  const problems = vegaRules.map((rule) => rule(config)).filter((p): p is string => p !== null)
  if (fs.existsSync(config.SF_HOME) && !fs.statSync(config.SF_HOME).isDirectory()) {
    problems.push(`SF_HOME=${JSON.stringify(config.SF_HOME)}: exists and is not a directory; point SF_HOME at a directory`)
  }
  let dockerGid = -1
  try {
    const socket = fs.statSync(config.SF_DOCKER_SOCKET)
    if (!socket.isSocket()) problems.push(`SF_DOCKER_SOCKET=${JSON.stringify(config.SF_DOCKER_SOCKET)}: is not a socket; point it at the engine's socket`)
    dockerGid = socket.gid
  } catch {
    problems.push(`SF_DOCKER_SOCKET=${JSON.stringify(config.SF_DOCKER_SOCKET)}: no such socket; start dockerd or set SF_DOCKER_SOCKET to the engine's socket`)
  }
  if (problems.length) throw new ConfigError(`cannot start the vega server:\n  ${problems.join('\n  ')}`, problems)

  const engine = await engineAnswers(env)
  if (!engine.ok) throw new DockerError(engine.reason)

  const existing = await inspectContainer(name, env)
  if (existing && existing.labels['sf.role'] !== 'vega') {
    throw new ConfigError(`a container named ${name} exists that docker:vega:up did not make (no sf.role=vega label): remove it (docker rm -f ${name}) or set SF_VEGA_NAME`)
  }
  const ours = existing?.ports.some((p) => p.hostPort === port && p.bind === config.SF_VEGA_BIND) ?? false
  // Behind the front, the port is the holder's (or, made before holders, the front's): held by it is held by us.
  const owner = await findPortOwner({ name: config.SF_VEGA_NAME, env }, port)
  const ourFront = owner !== null && owner.ports.some((p) => p.bind === config.SF_VEGA_BIND)
  if (ourFront && config.SF_VEGA_FRONT === 'none') {
    const remove = [owner.name, ...(owner.name === frontName(config.SF_VEGA_NAME) ? [] : [frontName(config.SF_VEGA_NAME)])].join(' ')
    throw new ConfigError(
      `SF_VEGA_FRONT=none, but ${owner.name} owns port ${port} for the front: a server cannot publish it. Keep the front (unset SF_VEGA_FRONT), or go back to direct mode by removing it first: docker rm -f ${remove} (the port answers nothing until the next docker:vega:up)`,
    )
  }
  if (!(ours && existing?.running) && !ourFront) {
    const taken = await portProblem(config.SF_VEGA_BIND, port, env)
    if (taken) throw new ConfigError(taken)
  }
  // The front's metrics port, on loopback: free, or published by the site's holder already.
  const metricsPort = config.SF_VEGA_FRONT === 'haproxy' && port === config.SF_VEGA_PORT ? config.SF_VEGA_METRICS_PORT : undefined
  if (metricsPort !== undefined && !(await findPortOwner({ name: config.SF_VEGA_NAME, env }, metricsPort))) {
    const taken = await portProblem(frontMetricsBind, metricsPort, env, 'SF_VEGA_METRICS_PORT')
    if (taken) throw new ConfigError(taken)
  }
  return { dockerGid, existing, probeHost: probeHostFor(config) }
}

/** The host the scripts probe: SF_VEGA_PROBE_HOST, else the bind address (loopback for any-address). */
export function probeHostFor(config: SfConfig): string {
  return config.SF_VEGA_PROBE_HOST ?? (anyAddress.has(config.SF_VEGA_BIND) ? '127.0.0.1' : config.SF_VEGA_BIND)
}

/** Why `bind:port` cannot be published, naming who holds it, or null when it is free. */
async function portProblem(bind: string, port: number, env: Env, variable = 'SF_VEGA_PORT'): Promise<string | null> {
  const code = await listenProblem(bind, port)
  if (code === null) return null
  if (code === 'EADDRNOTAVAIL') return `SF_VEGA_BIND=${JSON.stringify(bind)}: not an address of this host; use one of its addresses (127.0.0.1, or the Tailscale address)`
  const holders = (await docker(containersPublishingArgs(port), { env, allowFailure: true })).stdout.trim()
  const who = holders ? `container ${holders.split('\n')[0]!.split('\t')[0]}` : 'another process'
  return `port ${port} on ${bind} is taken by ${who}: stop it, or set ${variable} to a free port`
}
