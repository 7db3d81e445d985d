// The vega container is defined once (lib/vega/container.ts): its docker run arguments, and the compose file
// saying the same thing.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { parse } from 'yaml'
import { runDetachedArgs, type ContainerSpec } from '../../../lib/docker/args.ts'
import { frontContainer, portHolderContainer } from '../../../lib/front/definition.ts'
import { repoRoot } from '../../../lib/paths.ts'
import { composeEnv, frontComposeEnv, vegaContainer } from '../../../lib/vega/container.ts'
import { vegaInputsOnVega } from '../../support/fixtures.ts'

const inputs = vegaInputsOnVega

describe('the vega container', () => {
  test('renders into the exact docker run arguments', () => {
    assert.deepEqual(runDetachedArgs(vegaContainer(inputs)), [
      'run', '--detach', '--name', 'sf-server-vega', '--restart', 'unless-stopped', '--stop-signal', 'SIGTERM', '--stop-timeout', '610',
      '--group-add', '998',
      '--publish', '100.64.0.7:4000:4000',
      '--env', 'SF_WORKSPACE_DIR=/workspace', '--env', 'SF_WORKSPACES_DIR=/workspaces', '--env', 'SF_HOME=/root/.sf',
      '--env', 'SF_RPC_SHUTDOWN_GRACE_MS=600000', '--env', 'SF_SOURCE_HOST_ROOT=/home/mhugo/code/sf',
      '--env', 'SF_WORKSPACE_HOST_DIR=/home/mhugo/code/other-repo', '--env', 'SF_WORKSPACES_HOST_DIR=/home/mhugo/code',
      '--env', 'SF_HOME_HOST_DIR=/home/mhugo/.sf', '--env', 'SF_VEGA_NAME=sf-server-vega',
      '--env', 'SF_WEB_BUILD_ID=20261127T101500Z-0123456789ab-beef',
      '--mount', 'type=bind,source=/home/mhugo/code/sf,target=/opt/sf',
      '--mount', 'type=bind,source=/home/mhugo/code/other-repo,target=/workspace',
      '--mount', 'type=bind,source=/home/mhugo/code,target=/workspaces',
      '--mount', 'type=bind,source=/home/mhugo/code,target=/home/mhugo/code',
      '--mount', 'type=bind,source=/home/mhugo/.sf,target=/root/.sf',
      '--mount', 'type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock',
      '--label', 'sf.role=vega', '--label', 'sf.vega.name=sf-server-vega',
      '--label', 'sf.build-id=20261127T101500Z-0123456789ab-beef', '--label', 'sf.commit=0123456789abcdef0123456789abcdef01234567',
      'sf-source-server:local',
      'node', '/opt/sf/dist/loader-0123456789ab.js', 'server', '/workspace', '--host', '0.0.0.0', '--port', '4000',
    ])
  })

  test('is what docker-compose.vega.yaml says, once interpolated with the variables docker:vega:up sets', () => {
    const file = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.vega.yaml'), 'utf8')) as { services: Record<string, unknown> }
    assert.deepEqual(Object.keys(file.services), ['sf-server-vega', 'sf-port', 'sf-front'], 'one shared server, and the holder of its port and the front that may serve it')
    const service = interpolate(file.services['sf-server-vega'], composeEnv(inputs)) as ComposeService
    assert.deepEqual(fromCompose(service), vegaContainer(inputs))
  })

  test('passes the host names the server must answer, in docker run and in the compose file alike', () => {
    const file = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.vega.yaml'), 'utf8')) as ComposeFile
    const named = { ...inputs, allowedHosts: ['vega.tailnet.ts.net', '.example.com'] }
    const spec = vegaContainer(named)
    assert.equal(spec.env.SF_ALLOWED_HOSTS, 'vega.tailnet.ts.net,.example.com')
    assert.deepEqual(fromCompose(interpolate(file.services['sf-server-vega'], composeEnv(named)) as ComposeService), spec)
  })

  test('the port holder and the front are what the sf-port and sf-front services of the compose file say, network and user included', () => {
    const file = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.vega.yaml'), 'utf8')) as ComposeFile
    const front = { name: inputs.name, image: 'sf-haproxy:2.6.12-local', bind: inputs.bind, port: inputs.port, metricsPort: 4003, sfHome: inputs.sfHome, id: 'mx1abc', configDigest: '0123456789abcdef' }
    const env = frontComposeEnv(front)
    const networks = interpolate(file.networks, env) as ComposeFile['networks']
    assert.deepEqual(fromCompose(interpolate(file.services['sf-port'], env) as ComposeService, networks), portHolderContainer(front))
    assert.deepEqual(fromCompose(interpolate(file.services['sf-front'], env) as ComposeService, networks), frontContainer(front))
  })

  test('interpolation refuses a missing required variable, so the test can tell', () => {
    const file = parse(fs.readFileSync(path.join(repoRoot, 'docker-compose.vega.yaml'), 'utf8')) as { services: Record<string, unknown> }
    const { SF_DOCKER_GID: _, ...without } = composeEnv(inputs)
    assert.throws(() => interpolate(file.services['sf-server-vega'], without), /SF_DOCKER_GID: the docker socket's group id/)
  })
})

interface ComposeFile {
  services: Record<string, unknown>
  networks: Record<string, { name: string }>
}

interface ComposeService {
  container_name: string
  image: string
  command: string[]
  restart: ContainerSpec['restart']
  stop_signal: string
  stop_grace_period: string
  group_add: string[]
  ports?: string[]
  environment: Record<string, string>
  volumes: string[]
  labels: Record<string, string>
  user?: string
  networks?: Record<string, { aliases?: string[] } | null>
  network_mode?: string
}

/** The service in ContainerSpec's terms; what compose cannot say (nothing, today) would fail here. */
function fromCompose(s: ComposeService, networks: ComposeFile['networks'] = {}): ContainerSpec {
  const [network] = Object.entries(s.networks ?? {})
  return {
    name: s.container_name,
    image: s.image,
    command: s.command,
    // An empty variable is an unset one to readConfig, and vegaContainer leaves unset ones out.
    env: Object.fromEntries(Object.entries(s.environment ?? {}).filter(([, value]) => value !== '')),
    mounts: s.volumes.map((v) => {
      const [source, target, mode] = v.split(':')
      return { source: source!, target: target!, ...(mode === 'ro' ? { readOnly: true } : {}) }
    }),
    ports: (s.ports ?? []).map((p) => {
      const [bind, hostPort, containerPort] = p.split(':')
      return { bind: bind!, hostPort: Number(hostPort), containerPort: Number(containerPort) }
    }),
    groupAdd: s.group_add ?? [],
    restart: s.restart,
    stopSignal: s.stop_signal,
    stopTimeout: Number(/^(\d+)s$/.exec(s.stop_grace_period)?.[1]),
    labels: s.labels,
    ...(network ? { network: { name: networks[network[0]]!.name, aliases: network[1]?.aliases ?? [] } } : {}),
    ...(s.network_mode ? { network: { name: s.network_mode, aliases: [] } } : {}),
    ...(s.user ? { user: s.user } : {}),
  }
}

/** Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} in every string of a parsed file. */
function interpolate(value: unknown, env: Record<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
      const set = env[name]
      if (set !== undefined && set !== '') return set
      if (op === '-') return arg ?? ''
      if (op === '?') throw new Error(`${name}: ${arg}`)
      return ''
    })
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env))
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]))
  return value
}
