// The upgrader a server starts to upgrade (or roll back) itself: the same script as
// `npm run docker:vega:upgrade`, run from the runtime image in a detached container of its own, so
// that it outlives the server it replaces. Every path it mounts is the host's real path, mounted at
// that same path, so the docker run arguments it builds for the new server name host paths the
// engine can mount. It shares the host's network (its probes of 127.0.0.1 reach the published
// ports) and pid namespace (the pid it records in the lock is a host pid, which the CLI can check).
import path from 'node:path'
import type { ContainerSpec } from '../docker/args.ts'
import { deploymentVariablesOf } from './deployment.ts'

export type UpgraderAction = 'upgrade' | 'rollback'

/** Host-side facts the upgrader is made from. */
export interface UpgraderInputs {
  /** The prod container's name (SF_VEGA_NAME). */
  name: string
  id: string
  action: UpgraderAction
  /** The runtime image the server that starts it runs from (an image id). */
  image: string
  /** Host paths. */
  checkout: string
  workspaceDir: string
  workspacesDir: string
  sfHome: string
  dockerSocket: string
  dockerGid: number
  /** The deployment's recorded variables (deployment.ts); only the deployment variables among them are used. */
  deployment: Record<string, string>
  /** An upgrade's canary steps (--canary) and their length in seconds (--step); none by default. */
  canary?: number[]
  stepSeconds?: number
}

const scripts: Record<UpgraderAction, string> = {
  upgrade: 'scripts/upgrade-vega-source-server.ts',
  rollback: 'scripts/rollback-vega-source-server.ts',
}

/** One upgrader per prod container: docker refuses a second of the same name while one exists. */
export const upgraderName = (name: string) => `${name}-upgrader`

/** A new upgrade's id: when it was asked for, and a few random hex digits. */
export function newUpgradeId(now: Date, random: string): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${random}`
}

export const upgradeIdPattern = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/

/** The events of each upgrade a server started, one JSON line each. */
export function upgradesDir(sfHome: string, name: string): string {
  return path.join(sfHome, 'vega', name, 'upgrades')
}

export function eventsFile(sfHome: string, name: string, id: string): string {
  return path.join(upgradesDir(sfHome, name), `${id}.jsonl`)
}

/** --canary and --step for an upgrade that asked for steps; nothing otherwise. */
function canaryArgs(u: UpgraderInputs): string[] {
  if (u.action !== 'upgrade' || !u.canary?.length) return []
  return ['--canary', u.canary.join(','), ...(u.stepSeconds ? ['--step', String(u.stepSeconds)] : [])]
}

export function upgraderContainer(u: UpgraderInputs): ContainerSpec {
  const name = upgraderName(u.name)
  const same = (p: string) => ({ source: p, target: p })
  const mounts = [same(u.checkout), same(u.workspaceDir), same(u.workspacesDir), same(u.sfHome), same(u.dockerSocket)]
  return {
    name,
    image: u.image,
    // tsx from the checkout's own node_modules: the upgrader runs the checkout's code, as the CLI would.
    command: ['node', '--import', 'tsx', scripts[u.action], '--events-file', eventsFile(u.sfHome, u.name, u.id), '--container', name, ...canaryArgs(u)],
    env: {
      ...deploymentVariablesOf(u.deployment),
      SF_VEGA_NAME: u.name,
      SF_HOME: u.sfHome,
      SF_WORKSPACE_DIR: u.workspaceDir,
      SF_WORKSPACES_DIR: u.workspacesDir,
      SF_DOCKER_SOCKET: u.dockerSocket,
      DOCKER_HOST: `unix://${u.dockerSocket}`,
      // The checkout may belong to another user than the container's root: let git read it anyway.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'safe.directory',
      GIT_CONFIG_VALUE_0: u.checkout,
    },
    // Deduplicated: the workspace is often the checkout, or inside the workspaces dir.
    mounts: mounts.filter((m, i) => mounts.findIndex((o) => o.target === m.target) === i),
    ports: [],
    groupAdd: [String(u.dockerGid)],
    restart: 'no',
    remove: true,
    stopSignal: 'SIGTERM',
    stopTimeout: 10,
    labels: { 'sf.role': 'vega-upgrader', 'sf.vega.name': u.name, 'sf.upgrade.id': u.id, 'sf.upgrade.action': u.action },
    network: { name: 'host', aliases: [] },
    pid: 'host',
    workdir: u.checkout,
  }
}
