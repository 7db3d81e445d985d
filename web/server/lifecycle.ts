// Start-up and cooperative shutdown of the web host. Next is started with NEXT_MANUAL_SIG_HANDLE so
// it leaves SIGTERM/SIGINT to us: readiness turns 503 at once, in-flight requests and registered work
// finish, and the process exits 0 as soon as they have, or non-zero at SF_RPC_SHUTDOWN_GRACE_MS.
// What counts as a running request, and the bounds on them, is web/server/requests.ts's.
import diagnostics from 'node:diagnostics_channel'
import fs from 'node:fs'
import http, { type Server } from 'node:http'
import type { Socket } from 'node:net'
import { processDrain } from '../../lib/server/drain.ts'
import { markStarted, registerReadinessHook } from '../../lib/server/readiness.ts'
import { serverContext } from './context.ts'
import { log } from './log.ts'
import { gateRequests, hasWork, recountWhileDraining } from './requests.ts'

export function startLifecycle(): void {
  const context = serverContext()
  const drain = processDrain()
  trackConnections()
  registerReadinessHook('workspace', workspaceReadable(context.config.SF_WEB_PROJECT_CWD))

  let signals = 0
  const onSignal = (signal: NodeJS.Signals | 'loader gone') => {
    signals += 1
    if (signals > 1) {
      if (signal === 'SIGINT') {
        log(`second SIGINT: exiting now with ${JSON.stringify(drain.snapshot().active)} still running`)
        process.exit(130)
      }
      log(`${signal} again: already draining`)
      return
    }
    shutdown(signal, context.config.SF_RPC_SHUTDOWN_GRACE_MS)
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  // A closed terminal: drain as for SIGTERM rather than die mid-request.
  process.on('SIGHUP', onSignal)
  // The loader holds an IPC channel open; if the loader dies, drain as if told to stop.
  if (process.connected) process.once('disconnect', () => onSignal('loader gone'))

  const m = context.manifest
  log(
    m
      ? `serving ${m.name} ${m.version} commit ${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty)' : ''} build ${m.webHost.buildId}`
      : `serving without a release manifest: ${context.manifestProblem}`,
  )
  const t = context.adminToken
  log(t.token === null ? `admin endpoints disabled: ${t.reason}` : `admin token from ${t.source === 'file' ? t.file : t.source}`)
  if (t.token !== null && t.warning) log(`warning: ${t.warning}`)
  markStarted()
}

/**
 * /api/ready answers anyone, so its reason names no path: the workspace was logged at start, and the
 * failure is logged once each time it begins.
 */
function workspaceReadable(workspace: string): () => void {
  let failing = false
  return () => {
    try {
      fs.accessSync(workspace, fs.constants.R_OK)
      failing = false
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
      if (!failing) log(`readiness: the workspace ${workspace} cannot be read (${(error as Error).message}): restore it, or restart the server with another <workspace>`)
      failing = true
      throw new Error(`the workspace cannot be read (${code}): the server log names it`)
    }
  }
}

function shutdown(signal: string, graceMs: number): void {
  const drain = processDrain()
  const started = Date.now()
  drain.requestShutdown(signal)
  recountWhileDraining()
  setInterval(recountWhileDraining, 1000).unref()
  log(`${signal}: draining (readiness 503), ${drain.snapshot().total} unit(s) of work running, cap ${graceMs} ms`)
  // Not unref'd: the cap must fire even if nothing else keeps the process alive.
  const cap = setTimeout(() => {
    log(`drain cap of ${graceMs} ms reached; still running: ${JSON.stringify(drain.snapshot().active)}; exiting 1`)
    process.exit(1)
  }, graceMs)
  void drain
    .whenIdle()
    .then(stopListening)
    .then(() => {
      clearTimeout(cap)
      log(`drained in ${Date.now() - started} ms; exiting 0`)
      process.exit(0)
    })
}

/**
 * Once idle, stop accepting connections and let every accepted one finish before exiting: a client
 * then meets a refused connection, which it can retry, never a reset in the middle of a request.
 */
async function stopListening(): Promise<void> {
  if (!httpServer) return
  const closed = new Promise<void>((resolve) => httpServer!.close(() => resolve()))
  httpServer.closeIdleConnections()
  // closeIdleConnections leaves a connection that sent part of a request, or nothing yet, or whose
  // request waits for the rest of its body: close() would wait for it as long as the client likes.
  // Such a connection is no work, so once it has had a moment to complete its request it is closed;
  // connections running a request (web/server/requests.ts) are left.
  const sweep = setInterval(closeConnectionsWithoutRequests, partialRequestGraceMs)
  await closed
  clearInterval(sweep)
  // Requests that came in on connections accepted just before the close are counted too.
  await processDrain().whenIdle()
}

/** Next's HTTP server, known from the first request it serves. */
let httpServer: Server | undefined

/** How long a connection may take to complete a request once the drain stops listening. */
const partialRequestGraceMs = 1000

/** Every connection accepted and not yet closed. */
const connections = new Set<Socket>()

function trackConnections(): void {
  diagnostics.subscribe('net.server.socket', (message) => {
    const { socket } = message as { socket: Socket }
    const server = (socket as Socket & { server?: unknown }).server
    if (server instanceof http.Server && server.listenerCount('request') > 0) {
      httpServer ??= server
      gateRequests(server)
    }
    connections.add(socket)
    socket.once('close', () => connections.delete(socket))
  })
}

function closeConnectionsWithoutRequests(): void {
  for (const socket of connections) {
    if (!hasWork(socket) && (socket as Socket & { server?: unknown }).server === httpServer) socket.destroy()
  }
}
