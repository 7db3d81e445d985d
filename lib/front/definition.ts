// The front proxy: a small port-holder container owns a site's bind:port and its place on a private
// network; the HAProxy front runs in the holder's network namespace and reaches the servers by slot
// names, a and b. A server joins the network under its slot's alias; the front routes to whichever slot
// its runtime API made ready. Because the port and the network belong to the holder, a new front can
// take the listening sockets from the old one and the port is never without an owner. Defined once here.
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { ContainerSpec } from '../docker/args.ts'
import { frontBinary } from '../docker/front-image.ts'
import { serverPort } from './site.ts'

export type Slot = 'a' | 'b'
export const slots: readonly Slot[] = ['a', 'b']
export const otherSlot = (slot: Slot): Slot => (slot === 'a' ? 'b' : 'a')

export const frontName = (name: string) => `${name}-front`
/** A new front while it takes over from the old one; renamed to frontName once the old one is gone. */
export const nextFrontName = (name: string) => `${name}-front-next`
/** The container that owns the port and the network membership, the pod-sandbox pattern. */
export const portHolderName = (name: string) => `${name}-port`
export const networkName = (name: string) => `${name}-net`
export const slotAlias = (name: string, slot: Slot) => `${name}-slot-${slot}`

/**
 * The folder on the host with the front's configuration and its admin socket (mode 0600, never TCP).
 * Under vega/ for every site, as on the hosts that run one already.
 */
export function frontDir(sfHome: string, name: string): string {
  return path.join(sfHome, 'vega', name, 'front')
}
/**
 * The files in the front's folder. Each front container has its own admin socket (admin-<id>.sock), so
 * two fronts side by side during a replacement never answer for each other; `socket` is a link to the
 * one that holds the listeners. A front made before the holder has a socket of its own at that path.
 */
export const frontFiles = (dir: string) => ({
  config: path.join(dir, 'haproxy.cfg'),
  socket: path.join(dir, 'admin.sock'),
  holderConfig: path.join(dir, 'port-holder.cfg'),
})
export const frontSocketFile = (id: string) => `admin-${id}.sock`
/** A front's id is this long (time in base 36, then 6 random hex digits), so its socket's path length is known ahead. */
export const frontIdLength = 14

/** Where the front's folder is inside its container. */
const frontMount = '/run/sf-front'

export interface FrontInputs {
  name: string
  image: string
  sfHome: string
  /** This front's own id: its admin socket is admin-<id>.sock. */
  id: string
  /** The id of the front it takes the listening sockets from (haproxy -x); none for the first. */
  takeFrom?: string
  /** frontConfigDigest of the config it runs, so a change of the template or its inputs is seen. */
  configDigest: string
  /** frontName, or nextFrontName while it takes over. */
  containerName?: string
}

export function frontContainer(f: FrontInputs): ContainerSpec {
  // -x: ask the old front for its listening sockets over its admin socket (expose-fd listeners). When
  // that socket is gone, as at a restart long after, the master says so and binds the port itself.
  const takeOver = f.takeFrom ? ['-x', `${frontMount}/${frontSocketFile(f.takeFrom)}`] : []
  return {
    name: f.containerName ?? frontName(f.name),
    image: f.image,
    command: [frontBinary, '-W', '-db', '-f', `${frontMount}/haproxy.cfg`, ...takeOver],
    env: { SF_FRONT_ID: f.id },
    mounts: [{ source: frontDir(f.sfHome, f.name), target: frontMount }],
    ports: [],
    groupAdd: [],
    restart: 'unless-stopped',
    // haproxy's soft stop: it stops listening and lets running requests finish.
    stopSignal: 'SIGUSR1',
    stopTimeout: 30,
    // Vega's names for every site: the hosts that run a front find it by them.
    labels: { 'sf.role': 'vega-front', 'sf.vega.name': f.name, 'sf.front.id': f.id, 'sf.front.config': f.configDigest },
    // The holder's network namespace: its port, its address on the site's network, Docker's DNS.
    network: { name: `container:${portHolderName(f.name)}`, aliases: [] },
    // The admin socket is created in a folder only root may enter; the official image's user could not.
    user: '0:0',
  }
}

export interface PortHolderInputs {
  name: string
  image: string
  bind: string
  port: number
  sfHome: string
  /** The host port of the front's Prometheus exporter, published on loopback only; unset: not published. */
  metricsPort?: number
}

/** Where the front's Prometheus exporter listens inside the holder's namespace (HAProxy's usual port). */
export const frontMetricsPort = 8405
/** The front's exporter is for this host only, whatever address the site's port is published on. */
export const frontMetricsBind = '127.0.0.1'

/**
 * The port holder: publishes bind:port and joins the site's network, and does nothing else. Its idle
 * process is haproxy from the front's image (no pull), listening only on a unix socket in its own /tmp.
 */
export function portHolderContainer(h: PortHolderInputs): ContainerSpec {
  return {
    name: portHolderName(h.name),
    image: h.image,
    command: [frontBinary, '-db', '-f', `${frontMount}/port-holder.cfg`],
    env: {},
    mounts: [{ source: frontDir(h.sfHome, h.name), target: frontMount, readOnly: true }],
    ports: [
      { bind: h.bind, hostPort: h.port, containerPort: serverPort },
      ...(h.metricsPort === undefined ? [] : [{ bind: frontMetricsBind, hostPort: h.metricsPort, containerPort: frontMetricsPort }]),
    ],
    groupAdd: [],
    restart: 'unless-stopped',
    stopSignal: 'SIGTERM',
    stopTimeout: 5,
    labels: { 'sf.role': 'vega-port', 'sf.vega.name': h.name },
    network: { name: networkName(h.name), aliases: [] },
    user: '0:0',
  }
}

/** The holder's haproxy.cfg: one listener on a unix socket inside the holder, nothing else. */
export function renderPortHolderConfig(): string {
  return [
    '# Written by lib/front/definition.ts: the port holder idles; the port it publishes is served by the front in its namespace.',
    'defaults',
    '  mode tcp',
    '  timeout connect 1s',
    '  timeout client 1s',
    '  timeout server 1s',
    '',
    'frontend idle',
    '  bind /tmp/sf-port-holder.sock',
    '',
  ].join('\n')
}

export interface FrontConfig {
  name: string
  /** The slot the last switch made active; the other is checked and takes over if it is down. Null: none yet, both held out. */
  active: Slot | null
  /** The longest a request may run, so a drain is never cut by the front. */
  serverTimeoutSeconds: number
}

/** The ring buffer each front keeps its users' requests in, read on the admin socket with `show events`. */
export const trafficRing = 'sf-traffic'

/** The paths the deployment probes; left out of the traffic a release is judged by. */
export const probePaths = ['/api/healthz', '/api/ready', '/api/version', '/api/controller'] as const

/**
 * What the ring keeps of a request: when it was received (unix seconds), the server that answered,
 * the status, and how long the server took to start its answer (-1 when it gave none). See
 * lib/front/traffic.ts, which reads it.
 */
export const trafficLogFormat = '%Ts %s %ST %Tr'

/** Each slot's weight when it alone serves; a canary step splits 100 between the two (see lib/front/swap.ts). */
export const fullWeight = 100

/**
 * haproxy.cfg. Servers are found by their slot alias through Docker's DNS (127.0.0.11), so a server
 * that restarts with another address is followed. Health checks on /api/ready every 250 ms are the
 * safety net: a server that turns unready gets no new requests, whatever the upgrader does.
 *
 * It is read when a front starts: after a restart of the engine or the host, whichever server came back
 * ready gets the requests (a candidate, never restarted, does not come back, so its alias resolves to
 * nothing; the old prod does). The two slots are peers with equal weights, so an upgrade's canary step
 * can give each a share with the runtime API (set server … weight); at run time the upgrade moves
 * traffic with it (ready, drain, maint, weight).
 *
 * Every request but the probes is written to a ring buffer in memory (trafficRing), which the upgrade
 * reads to judge a new release by what its users got.
 */
export function renderFrontConfig(c: FrontConfig): string {
  const server = (slot: Slot) => `  server ${slot} ${slotAlias(c.name, slot)}:${serverPort} weight ${fullWeight}${c.active === null ? ' disabled' : ''}`
  return [
    '# Written by lib/front/definition.ts; the upgrade rewrites it after each switch, so a restart keeps the switch.',
    'global',
    // Each front's own socket (SF_FRONT_ID is set on its container), so a new front can ask the old one
    // for its listeners by name.
    `  stats socket "${frontMount}/admin-\${SF_FRONT_ID}.sock" mode 600 level admin expose-fd listeners`,
    '  stats timeout 2m',
    `  hard-stop-after ${c.serverTimeoutSeconds}s`,
    '',
    // About 40,000 requests at some 25 bytes each; the oldest are dropped first.
    `ring ${trafficRing}`,
    '  format raw',
    '  size 1048576',
    '',
    'resolvers docker',
    '  nameserver docker 127.0.0.11:53',
    '  hold valid 1s',
    '',
    'defaults',
    '  mode http',
    '  option redispatch 1',
    '  retries 3',
    '  timeout connect 2s',
    '  timeout client 1m',
    `  timeout server ${c.serverTimeoutSeconds}s`,
    '  timeout http-keep-alive 10s',
    // A check's answer may take this long: a server slowed by a build beside it is not down. An
    // unready one still answers 503 at once; only one that answers nothing is found later.
    '  timeout check 2s',
    '  default-server init-addr last,libc,none resolvers docker resolve-prefer ipv4 check inter 250ms fastinter 100ms fall 2 rise 1',
    '',
    'frontend sf',
    `  bind :${serverPort}`,
    // An idle keep-alive connection is closed after its next answer, not under a request on its way,
    // when this front stops: the client reconnects to the front that took the listeners.
    '  option idle-close-on-response',
    `  log ring@${trafficRing} local0`,
    `  log-format "${trafficLogFormat}"`,
    `  http-request set-log-level silent if { path ${probePaths.join(' ')} }`,
    '  default_backend sf',
    '',
    'backend sf',
    '  option httpchk GET /api/ready',
    '  http-check expect status 200',
    ...slots.map(server),
    '',
  ].join('\n') + renderMetricsFrontend()
}

/**
 * HAProxy's built-in Prometheus exporter (haproxy_process_*, haproxy_frontend_*, haproxy_backend_*,
 * haproxy_server_*) on its own listener, which the holder publishes on the host's loopback only. Its
 * scrapes are not logged, and never reach the servers.
 */
export function renderMetricsFrontend(): string {
  return [
    '',
    'frontend metrics',
    `  bind :${frontMetricsPort}`,
    '  no log',
    '  http-request use-service prometheus-exporter if { path /metrics }',
    '  http-request return status 404 content-type text/plain string "the metrics are at /metrics"',
    '',
  ].join('\n')
}

/**
 * What a front's config depends on, as a digest: the template with no slot active. The active slot
 * changes with every switch and is no reason to replace a front; anything else (the template, the drain
 * time, the name) is.
 */
export function frontConfigDigest(c: Omit<FrontConfig, 'active'>): string {
  return createHash('sha256').update(renderFrontConfig({ ...c, active: null })).digest('hex').slice(0, 16)
}
