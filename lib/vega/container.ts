// The vega profile: one shared SF web server container, run from this checkout. Defined once here and
// rendered into `docker run` arguments; test/unit/vega/container.test.ts proves docker-compose.vega.yaml says
// the same thing.
import type { ContainerSpec } from '../docker/args.ts'
import type { FrontInputs, PortHolderInputs } from '../front/definition.ts'
import { candidateName, serverPort } from '../front/site.ts'

/** Where things are inside the container. */
export const inContainer = {
  checkout: '/opt/sf',
  workspace: '/workspace',
  workspaces: '/workspaces',
  sfHome: '/root/.sf',
  port: serverPort,
} as const

/** Host-side facts the container is made from; every path absolute and existing. */
export interface VegaInputs {
  name: string
  image: string
  /** The SF checkout on the host. */
  checkout: string
  workspaceDir: string
  workspacesDir: string
  sfHome: string
  bind: string
  port: number
  dockerSocket: string
  dockerGid: number
  graceMs: number
  stopTimeout: number
  /** Identify the build the container serves (labels only). */
  buildId: string
  commit: string
  /** The release's pinned loader in dist/ (loader-<hash>.js). */
  loader: string
  /** Host names the server must answer besides addresses (SF_ALLOWED_HOSTS, and a named probe host). */
  allowedHosts?: readonly string[]
  /** Behind the front: the private network and the slot alias the front reaches this server by. */
  network?: { name: string; aliases: readonly string[] }
}

export function vegaContainer(v: VegaInputs): ContainerSpec {
  return {
    name: v.name,
    image: v.image,
    command: ['node', `${inContainer.checkout}/dist/${v.loader}`, 'server', inContainer.workspace, '--host', '0.0.0.0', '--port', String(inContainer.port)],
    env: {
      SF_WORKSPACE_DIR: inContainer.workspace,
      SF_WORKSPACES_DIR: inContainer.workspaces,
      SF_HOME: inContainer.sfHome,
      SF_RPC_SHUTDOWN_GRACE_MS: String(v.graceMs),
      // The real host paths behind the mounts, for the in-container upgrader's own docker run.
      SF_SOURCE_HOST_ROOT: v.checkout,
      SF_WORKSPACE_HOST_DIR: v.workspaceDir,
      SF_WORKSPACES_HOST_DIR: v.workspacesDir,
      SF_HOME_HOST_DIR: v.sfHome,
      SF_VEGA_NAME: v.name,
      // Pinned: a later build in the mounted checkout never changes what this container serves.
      SF_WEB_BUILD_ID: v.buildId,
      ...(v.allowedHosts?.length ? { SF_ALLOWED_HOSTS: v.allowedHosts.join(',') } : {}),
    },
    mounts: [
      { source: v.checkout, target: inContainer.checkout },
      { source: v.workspaceDir, target: inContainer.workspace },
      { source: v.workspacesDir, target: inContainer.workspaces },
      // Also at its real path, so a repo path from the host means the same thing inside.
      { source: v.workspacesDir, target: v.workspacesDir },
      { source: v.sfHome, target: inContainer.sfHome },
      { source: v.dockerSocket, target: '/var/run/docker.sock' },
    ],
    ports: [{ bind: v.bind, hostPort: v.port, containerPort: inContainer.port }],
    groupAdd: [String(v.dockerGid)],
    restart: 'unless-stopped',
    stopSignal: 'SIGTERM',
    stopTimeout: v.stopTimeout,
    labels: { 'sf.role': 'vega', 'sf.vega.name': v.name, 'sf.build-id': v.buildId, 'sf.commit': v.commit },
    ...(v.network ? { network: v.network } : {}),
  }
}

/**
 * The variables docker-compose.vega.yaml reads, for these inputs. The compose path passes them to
 * `docker compose`; the test interpolates the file with them.
 */
export function composeEnv(v: VegaInputs): Record<string, string> {
  return {
    SF_VEGA_NAME: v.name,
    SF_VEGA_IMAGE: v.image,
    SF_VEGA_BIND: v.bind,
    SF_VEGA_PORT: String(v.port),
    SF_VEGA_DRAIN_STOP_TIME: String(v.stopTimeout),
    SF_RPC_SHUTDOWN_GRACE_MS: String(v.graceMs),
    SF_SOURCE_HOST_ROOT: v.checkout,
    SF_WORKSPACE_HOST_DIR: v.workspaceDir,
    SF_WORKSPACES_HOST_DIR: v.workspacesDir,
    SF_HOME_HOST_DIR: v.sfHome,
    SF_DOCKER_SOCKET: v.dockerSocket,
    SF_DOCKER_GID: String(v.dockerGid),
    SF_BUILD_ID: v.buildId,
    SF_COMMIT: v.commit,
    SF_LOADER: v.loader,
    SF_ALLOWED_HOSTS: v.allowedHosts?.join(',') ?? '',
  }
}

/** The variables docker-compose.vega.yaml's sf-port and sf-front services read, for these inputs. */
export function frontComposeEnv(f: FrontInputs & PortHolderInputs): Record<string, string> {
  return {
    SF_VEGA_NAME: f.name,
    SF_VEGA_FRONT_IMAGE: f.image,
    SF_VEGA_BIND: f.bind,
    SF_VEGA_PORT: String(f.port),
    SF_VEGA_METRICS_PORT: String(f.metricsPort ?? ''),
    SF_HOME_HOST_DIR: f.sfHome,
    SF_FRONT_ID: f.id,
    SF_FRONT_CONFIG: f.configDigest,
  }
}

/** The candidate: prod's configuration on the next port, under its own name, never restarted. */
export function candidateSpec(prod: VegaInputs): ContainerSpec {
  return { ...vegaContainer({ ...prod, name: candidateName(prod.name), port: prod.port + 1 }), restart: 'no' }
}
