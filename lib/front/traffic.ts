// What the front's users got, request by request: each front writes every request but the probes to a
// ring buffer in memory (see trafficRing in definition.ts), and this reads it on the admin socket. The
// reader first takes what the ring holds (the old server's recent past, the baseline), then stays
// connected and is sent each new request as it is logged, so nothing is counted twice or missed while
// it listens.
import net from 'node:net'
import { slots, trafficRing, type Slot } from './definition.ts'
import { frontCommand } from './runtime-api.ts'

/** One request through the front. */
export interface Request {
  /** When the front received it, in unix seconds. */
  at: number
  slot: Slot
  status: number
  /** How long the server took to start its answer; null when it gave none (a connection or response error). */
  ms: number | null
}

/** One ring line (`%Ts %s %ST %Tr`, trafficLogFormat), or null for anything else: a request no slot answered, a blank line. Pure. */
export function parseRequest(line: string): Request | null {
  const f = line.trim().split(' ')
  if (f.length !== 4 || !slots.includes(f[1] as Slot)) return null
  const [at, status, ms] = [Number(f[0]), Number(f[2]), Number(f[3])]
  if (!Number.isInteger(at) || !Number.isInteger(status) || !Number.isInteger(ms)) return null
  return { at, slot: f[1] as Slot, status, ms: ms >= 0 ? ms : null }
}

export interface TrafficReader {
  /** Every request read so far, oldest first. */
  readonly requests: readonly Request[]
  /** Null while it reads; why it cannot (a front made before the ring, a socket that refused). */
  readonly unavailable: string | null
  stop(): void
}

/** How long to wait before reading again after the front closed the connection (its CLI timeout, a replaced front). */
const reconnectMs = 200

/**
 * Read the front's traffic ring from `socket` until stopped. Reconnects when the front closes the
 * connection, asking then only for what is new (`-n`), so a request logged in between may be missed
 * but none is read twice.
 */
export function readTraffic(socket: string): TrafficReader {
  const requests: Request[] = []
  let unavailable: string | null = null
  let stopped = false
  let connection: net.Socket | null = null
  let timer: NodeJS.Timeout | null = null
  const connect = (onlyNew: boolean) => {
    let rest = ''
    let first = true
    const c = net.connect(socket)
    connection = c
    c.setEncoding('utf8')
    // Not ended: the front streams to an open connection (-w) until it closes it.
    c.on('connect', () => c.write(`show events ${trafficRing} -w${onlyNew ? ' -n' : ''}\n`))
    c.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        if (first && line.trim()) {
          first = false
          // A front made before the ring answers its CLI's complaint instead of requests.
          if (/unknown|no such/i.test(line) && parseRequest(line) === null) {
            unavailable = `the front keeps no traffic log (${line.trim()}): it was made before release analysis; npm run docker:vega:up or docker:vega:front replaces it with no gap`
            c.destroy()
            return
          }
        }
        const request = parseRequest(line)
        if (request) requests.push(request)
      }
    })
    c.on('error', (error) => {
      if (!requests.length && first) unavailable = `the front's admin socket ${socket} did not answer (${error.message})`
    })
    c.on('close', () => {
      if (stopped || unavailable) return
      timer = setTimeout(() => connect(true), reconnectMs)
    })
  }
  connect(false)
  return {
    requests,
    get unavailable() {
      return unavailable
    },
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      connection?.destroy()
    },
  }
}

/** Why the front cannot be read for traffic (one made before the ring), or null. */
export async function trafficRingMissing(socket: string): Promise<string | null> {
  const answer = (await frontCommand(socket, `show events ${trafficRing} -n`)).trim()
  return /no such/i.test(answer) ? `it keeps no traffic ring (${answer})` : null
}
