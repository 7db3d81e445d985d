// The front proxy: one HAProxy container owns a site's bind:port and reaches its servers on a private
// network by slot names, a and b. A server joins the network under its slot's alias; the front routes
// to whichever slot its runtime API made ready. Defined once here.
import path from 'node:path'
import type { ContainerSpec } from '../docker/args.ts'
import { frontBinary } from '../docker/front-image.ts'
import { serverPort } from './site.ts'

export type Slot = 'a' | 'b'
export const slots: readonly Slot[] = ['a', 'b']
export const otherSlot = (slot: Slot): Slot => (slot === 'a' ? 'b' : 'a')

export const frontName = (name: string) => `${name}-front`
export const networkName = (name: string) => `${name}-net`
export const slotAlias = (name: string, slot: Slot) => `${name}-slot-${slot}`

/**
 * The folder on the host with the front's configuration and its admin socket (mode 0600, never TCP).
 * Under vega/ for every site, as on the hosts that run one already.
 */
export function frontDir(sfHome: string, name: string): string {
  return path.join(sfHome, 'vega', name, 'front')
}
export const frontFiles = (dir: string) => ({ config: path.join(dir, 'haproxy.cfg'), socket: path.join(dir, 'admin.sock') })

/** Where the front's folder is inside its container. */
const frontMount = '/run/sf-front'

export interface FrontInputs {
  name: string
  image: string
  bind: string
  port: number
  sfHome: string
}

export function frontContainer(f: FrontInputs): ContainerSpec {
  return {
    name: frontName(f.name),
    image: f.image,
    command: [frontBinary, '-W', '-db', '-f', `${frontMount}/haproxy.cfg`],
    env: {},
    mounts: [{ source: frontDir(f.sfHome, f.name), target: frontMount }],
    ports: [{ bind: f.bind, hostPort: f.port, containerPort: serverPort }],
    groupAdd: [],
    restart: 'unless-stopped',
    // haproxy's soft stop: it stops listening and lets running requests finish.
    stopSignal: 'SIGUSR1',
    stopTimeout: 30,
    // Vega's names for every site: the hosts that run a front find it by them.
    labels: { 'sf.role': 'vega-front', 'sf.vega.name': f.name },
    network: { name: networkName(f.name), aliases: [] },
    // The admin socket is created in a folder only root may enter; the official image's user could not.
    user: '0:0',
  }
}

export interface FrontConfig {
  name: string
  /** The slot that takes traffic; the other starts in maintenance. Null: none yet. */
  active: Slot | null
  /** The longest a request may run, so a drain is never cut by the front. */
  serverTimeoutSeconds: number
}

/**
 * haproxy.cfg. Servers are found by their slot alias through Docker's DNS (127.0.0.11), so a server
 * that restarts with another address is followed. Health checks on /api/ready every 250 ms are the
 * safety net: a server that turns unready gets no new requests, whatever the upgrader does.
 */
export function renderFrontConfig(c: FrontConfig): string {
  const server = (slot: Slot) => `  server ${slot} ${slotAlias(c.name, slot)}:${serverPort}${c.active === slot ? '' : ' disabled'}`
  return [
    '# Written by lib/front/definition.ts; the upgrade rewrites it after each switch, so a restart keeps the switch.',
    'global',
    `  stats socket ${frontMount}/admin.sock mode 600 level admin expose-fd listeners`,
    '  stats timeout 2m',
    `  hard-stop-after ${c.serverTimeoutSeconds}s`,
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
    '  default_backend sf',
    '',
    'backend sf',
    '  option httpchk GET /api/ready',
    '  http-check expect status 200',
    ...slots.map(server),
    '',
  ].join('\n')
}
