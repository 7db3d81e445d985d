// A docker target as the front serves it: a site whose name, port, bind, drain time and front image are
// the target's, whose home is the target's own state folder (SF_HOME/targets/<name>), so the front's
// haproxy.cfg, admin socket and lock of one target never mix with vega's or another target's, and whose
// messages name deploy-test and promote. And the checks that refuse a target before anything changes.
import path from 'node:path'
import type { Env, SfConfig } from '../env.ts'
import type { Progress } from '../progress.ts'
import { frontDir, frontIdLength, frontSocketFile } from '../front/definition.ts'
import { asideName, candidateName, type FrontSite, type FrontWords } from '../front/site.ts'
import type { DockerTarget, TargetName } from './targets.ts'

/** The target's state on the deployer's machine: its front's folder and its lock. */
export function targetStateDir(sfHome: string, name: string): string {
  return path.join(sfHome, 'targets', name)
}

/** The container a host's deployment controller of the target runs in (`npm run controller:install`). */
export const controllerName = (name: string) => `${name}-controller`

/** One controller per target: the lock it holds while it runs, under the target's state folder. */
export function controllerLockFile(sfHome: string, name: string): string {
  return path.join(targetStateDir(sfHome, name), 'controller.lock')
}

/** The target's engine: DOCKER_HOST when the target names one, else the environment's. */
export function targetEnv(target: DockerTarget, env: Env): Env {
  return target.host ? { ...env, DOCKER_HOST: target.host } : env
}

type TargetInputs = { env: Env; config: SfConfig; progress: Progress; target: DockerTarget; which: TargetName }

/** What the front tells a docker target's user to run: deploy-test and promote, never a vega command. */
export function targetWords(target: DockerTarget, which: TargetName): FrontWords {
  const { name } = target
  const command = which === 'test' ? 'deploy-test' : 'promote'
  return {
    maker: 'deploy-test and promote',
    rename: `rename targets.${which}`,
    // Said when no server left behind the front is ready: with all three gone, the next run starts the
    // target afresh in a free slot, as it would the first time.
    repair: `docker rm -f ${name} ${candidateName(name)} ${asideName(name)}, then npm run ${command} again`,
    frontImage: `targets.${which}.frontImage`,
  }
}

/** What a docker target's user is told while another run holds the target's lock. */
export function targetLockBusy(which: TargetName): string {
  return `wait for it to finish, then run npm run ${which === 'test' ? 'deploy-test' : 'promote'} again`
}

/** The target's drain time: its own drainStopTime, else SF_VEGA_DRAIN_STOP_TIME. */
export function targetDrainStopSeconds(target: DockerTarget, config: SfConfig): number {
  return target.drainStopTime ?? config.SF_VEGA_DRAIN_STOP_TIME
}

/** The site the front serves for a target: the target entry's values, the environment's as defaults. */
export function targetSite(o: TargetInputs): FrontSite {
  const { target, config } = o
  return {
    name: target.name,
    bind: target.bind,
    port: target.port,
    home: targetStateDir(config.SF_HOME, target.name),
    drainStopSeconds: targetDrainStopSeconds(target, config),
    frontImage: target.frontImage ?? config.SF_VEGA_FRONT_IMAGE,
    env: targetEnv(target, o.env),
    progress: o.progress,
    words: targetWords(target, o.which),
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
export function dockerTargetProblems(target: DockerTarget, which: TargetName, config: SfConfig, at = `targets.${which}`): string[] {
  const problems: string[] = []
  if (target.host && !target.host.startsWith('unix://')) {
    problems.push(
      `${at}.host: ${target.host} is another machine's engine: the switch goes through the front's admin socket, a file on the engine's machine that cannot be reached from here; run npm run ${which === 'test' ? 'deploy-test' : 'promote'} on that machine with host unset, or install its controller there (npm run controller:install -- --target ${target.name}) and run ${which === 'test' ? 'deploy-test' : 'promote'} --wait`,
    )
  }
  // The longest path the deploy reaches a front by: each front's own admin-<id>.sock.
  const socket = path.join(frontDir(targetStateDir(config.SF_HOME, target.name), target.name), frontSocketFile('x'.repeat(frontIdLength)))
  if (Buffer.byteLength(socket) > socketPathMax) {
    problems.push(
      `${at}.name: the front's admin socket would be ${socket}, ${Buffer.byteLength(socket)} bytes, over the ${socketPathMax} a unix socket path may have: set SF_HOME to a shorter folder or give the target a shorter name`,
    )
  }
  if ((target.bind === '0.0.0.0' || target.bind === '::') && !config.SF_VEGA_ALLOW_PUBLIC) {
    problems.push(`${at}.bind: ${target.bind} binds every interface: use a private address, or set SF_VEGA_ALLOW_PUBLIC=1 when a proxy or firewall owns access control`)
  }
  const drain = targetDrainStopSeconds(target, config)
  if (drain * 1000 <= config.SF_RPC_SHUTDOWN_GRACE_MS) {
    const setting = target.drainStopTime === undefined ? `SF_VEGA_DRAIN_STOP_TIME=${drain}` : `${at}.drainStopTime: ${drain}`
    problems.push(
      `${setting}: docker stop would kill the old server before its drain cap SF_RPC_SHUTDOWN_GRACE_MS=${config.SF_RPC_SHUTDOWN_GRACE_MS} ms; make it more than ${Math.ceil(config.SF_RPC_SHUTDOWN_GRACE_MS / 1000)}`,
    )
  }
  return problems
}
