// Every HTTP request passes here between Node's parser and Next. Node parses all the requests a read
// brings (about 2,000 pipelined GETs per 64 KB) and would run them all at once, so one client could
// start unbounded work. Here:
//  - a connection's requests run one at a time, in order, and the next only once the client has read
//    the last answer far enough that the socket is not backed up; while requests wait, the
//    connection is not read from;
//  - more than `maxWaiting` pipelined behind the running one: the connection is closed at once,
//    unanswered (no client that waits for its answers sends so many);
//  - `maxRunning` requests running across all connections: 503 with Retry-After, except the probes,
//    which always run (they are cheap, and a deployment must see the server answer).
// A request counts as work for the drain while it runs, until its answer is done or its connection
// closes: Node emits no 'close' on an answer queued behind another when the client hangs up.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { processDrain } from '../../lib/server/drain.ts'
import { processRequestCounter } from '../../lib/server/request-counts.ts'

export const requestLimits = { maxWaiting: 16, maxRunning: 256, retryAfterSeconds: 1 }

/** Answered whatever the load: the deployment's probes, and the controller's state the deployer's --wait reads beside /api/version. */
const probePaths = new Set(['/api/healthz', '/api/ready', '/api/version', '/api/controller'])

type Handler = (request: IncomingMessage, response: ServerResponse) => unknown

interface Running {
  request: IncomingMessage
  /** Ends its count as drain work; null while it is not counted. */
  done: (() => void) | null
  end: () => void
}

interface Connection {
  waiting: { request: IncomingMessage; response: ServerResponse }[]
  running: Running | null
  awaitingDrain: boolean
}

const connections = new Map<Socket, Connection>()
const gated = new WeakSet<Server>()
let runningCount = 0

/** Put the gate in front of the server's request handlers (Next's); once per server. */
export function gateRequests(server: Server): void {
  if (gated.has(server)) return
  gated.add(server)
  const handlers = server.listeners('request') as Handler[]
  server.removeAllListeners('request')
  const run = (request: IncomingMessage, response: ServerResponse) => {
    for (const handler of handlers) handler.call(server, request, response)
  }
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as Socket
    const c = connectionOf(socket)
    // Ask keep-alive clients to reconnect, so they move on to the next server.
    if (processDrain().snapshot().phase === 'draining') response.setHeader('Connection', 'close')
    // Node has parsed the whole read (up to some 2,000 requests) by now, and keeps every one until
    // the connection closes: answering them, even in order behind the rest, would keep them all.
    if (c.waiting.length >= requestLimits.maxWaiting) {
      socket.destroy()
      return
    }
    c.waiting.push({ request, response })
    if (c.running) socket.pause()
    runNext(socket, c, run)
  })
}

function connectionOf(socket: Socket): Connection {
  let c = connections.get(socket)
  if (c) return c
  const created: Connection = { waiting: [], running: null, awaitingDrain: false }
  connections.set(socket, created)
  socket.once('close', () => {
    created.waiting.length = 0
    created.running?.end()
    connections.delete(socket)
  })
  return created
}

function runNext(socket: Socket, c: Connection, run: Handler): void {
  if (c.running || socket.destroyed) return
  if (c.waiting.length === 0) {
    // Node pauses a connection itself when its answers back up (_paused); that pause is Node's to end.
    if (!(socket as Socket & { _paused?: boolean })._paused) socket.resume()
    return
  }
  if (socket.writableNeedDrain) {
    if (!c.awaitingDrain) {
      c.awaitingDrain = true
      socket.once('drain', () => {
        c.awaitingDrain = false
        runNext(socket, c, run)
      })
    }
    return
  }
  const { request, response } = c.waiting.shift()!
  const path = pathOf(request)
  const probe = probePaths.has(path)
  const busy = !probe && runningCount >= requestLimits.maxRunning
  if (!probe) runningCount += 1
  let ended = false
  const running: Running = {
    request,
    done: processDrain().begin('http requests'),
    end: () => {
      if (ended) return
      ended = true
      processRequestCounter().count(path, response.headersSent ? response.statusCode : null)
      running.done?.()
      if (!probe) runningCount -= 1
      c.running = null
      runNext(socket, c, run)
    },
  }
  c.running = running
  response.once('finish', running.end)
  response.once('close', running.end)
  if (busy) refuse(response, `the server is busy: ${requestLimits.maxRunning} requests are running; retry in ${requestLimits.retryAfterSeconds} s`)
  else run(request, response)
}

function refuse(response: ServerResponse, error: string): void {
  response.writeHead(503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Retry-After': String(requestLimits.retryAfterSeconds) })
  response.end(JSON.stringify({ error }))
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? ''
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/**
 * While draining, a request whose body is still arriving is no work: the client has not finished
 * asking, and may never. It counts again once its body is in. Called when the drain starts and
 * then every second.
 */
export function recountWhileDraining(): void {
  for (const c of connections.values()) {
    const r = c.running
    if (!r) continue
    if (!r.request.complete && r.done) {
      r.done()
      r.done = null
    } else if (r.request.complete && !r.done) {
      r.done = processDrain().begin('http requests')
    }
  }
}

/** The connection runs a request that counts as work. */
export function hasWork(socket: Socket): boolean {
  return connections.get(socket)?.running?.done != null
}
