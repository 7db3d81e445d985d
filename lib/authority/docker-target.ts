// A docker target as the front serves it: a site whose name, port and bind are the target's, and whose
// home is the target's own state folder (SF_HOME/targets/<name>), so the front's haproxy.cfg, admin
// socket and lock of one target never mix with vega's or another target's. And the checks that refuse a
// target before anything changes.
import path from 'node:path'
import type { Env, SfConfig } from '../env.ts'
import type { Progress } from '../progress.ts'
import { frontDir, frontFiles } from '../front/definition.ts'
import type { FrontSite } from '../front/site.ts'
import type { VegaContext } from '../vega/context.ts'
import { frontSite } from '../vega/front-site.ts'
import type { DockerTarget, TargetName } from './targets.ts'

/** The target's state on the deployer's machine: its front's folder and its lock. */
export function targetStateDir(sfHome: string, name: string): string {
  return path.join(sfHome, 'targets', name)
}

/** The target's engine: DOCKER_HOST when the target names one, else the environment's. */
export function targetEnv(target: DockerTarget, env: Env): Env {
  return target.host ? { ...env, DOCKER_HOST: target.host } : env
}

type TargetInputs = { root: string; env: Env; config: SfConfig; progress: Progress; target: DockerTarget }

/**
 * The site the front serves for a target. Its drain time and front image are still the environment's
 * (SF_VEGA_DRAIN_STOP_TIME, SF_VEGA_FRONT_IMAGE), and its messages still use vega's words.
 */
export function targetSite(o: TargetInputs): FrontSite {
  return frontSite(targetContext(o))
}

/** The target as vega's configuration: the config with the target's name, port, bind and state folder. */
export function targetContext(o: TargetInputs): VegaContext {
  const { target } = o
  return {
    root: o.root,
    env: targetEnv(target, o.env),
    progress: o.progress,
    config: {
      ...o.config,
      SF_HOME: targetStateDir(o.config.SF_HOME, target.name),
      SF_VEGA_NAME: target.name,
      SF_VEGA_PORT: target.port,
      SF_VEGA_BIND: target.bind,
      SF_VEGA_FRONT: 'haproxy',
      SF_VEGA_PROBE_HOST: probeHostOf(target),
    },
  }
}

/** Where the deployer reaches the target's ports: its bind address, loopback for an any-address. */
export function probeHostOf(target: DockerTarget): string {
  if (target.bind === '0.0.0.0') return '127.0.0.1'
  if (target.bind === '::') return '::1'
  return target.bind
}

/** A unix socket path has room for 107 bytes (108 with the final NUL). */
const socketPathMax = 107

/**
 * Why this docker target cannot be rolled from here, each problem with its path, the value and the
 * fix; empty when it can. Pure: it runs before anything is asked of docker.
 */
export function dockerTargetProblems(target: DockerTarget, which: TargetName, config: SfConfig): string[] {
  const at = `targets.${which}`
  const problems: string[] = []
  if (target.host && !target.host.startsWith('unix://')) {
    problems.push(
      `${at}.host: ${target.host} is another machine's engine: the switch goes through the front's admin socket, a file on the engine's machine that cannot be reached from here; run npm run ${which === 'test' ? 'deploy-test' : 'promote'} on that machine with host unset`,
    )
  }
  const socket = frontFiles(frontDir(targetStateDir(config.SF_HOME, target.name), target.name)).socket
  if (Buffer.byteLength(socket) > socketPathMax) {
    problems.push(
      `${at}.name: the front's admin socket would be ${socket}, ${Buffer.byteLength(socket)} bytes, over the ${socketPathMax} a unix socket path may have: set SF_HOME to a shorter folder or give the target a shorter name`,
    )
  }
  if ((target.bind === '0.0.0.0' || target.bind === '::') && !config.SF_VEGA_ALLOW_PUBLIC) {
    problems.push(`${at}.bind: ${target.bind} binds every interface: use a private address, or set SF_VEGA_ALLOW_PUBLIC=1 when a proxy or firewall owns access control`)
  }
  if (config.SF_VEGA_DRAIN_STOP_TIME * 1000 <= config.SF_RPC_SHUTDOWN_GRACE_MS) {
    problems.push(
      `SF_VEGA_DRAIN_STOP_TIME=${config.SF_VEGA_DRAIN_STOP_TIME}: docker stop would kill the old server before its drain cap SF_RPC_SHUTDOWN_GRACE_MS=${config.SF_RPC_SHUTDOWN_GRACE_MS} ms; make it more than ${Math.ceil(config.SF_RPC_SHUTDOWN_GRACE_MS / 1000)}`,
    )
  }
  return problems
}
