import { processDrain } from '../../../../lib/server/drain.ts'
import { serverContext } from '../../../server/context.ts'

export const dynamic = 'force-dynamic'

const pollMs = 500
const heartbeatMs = 15_000

/**
 * Server-Sent Events: the build this server runs at once, a comment every 15 s so that no proxy
 * times the stream out, and `draining` when this server starts to drain, after which the stream ends.
 * A long-lived stream must not hold a drain: the client's EventSource reconnects (after `retry`), and
 * behind the front that lands on the server that now serves.
 */
export function GET(request: Request) {
  const { manifest } = serverContext()
  const drain = processDrain()
  const encoder = new TextEncoder()
  let timer: ReturnType<typeof setInterval> | undefined
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text))
      const end = () => {
        clearInterval(timer)
        try {
          controller.close()
        } catch {
          // already closed by the client
        }
      }
      send(`retry: 1000\nevent: version\ndata: ${JSON.stringify({ commit: manifest?.git.commit ?? null, buildId: manifest?.webHost.buildId ?? null })}\n\n`)
      let quiet = 0
      timer = setInterval(() => {
        if (drain.snapshot().phase === 'draining') {
          send(`event: draining\ndata: ${JSON.stringify({ reason: drain.snapshot().reason })}\n\n`)
          end()
          return
        }
        quiet += pollMs
        if (quiet >= heartbeatMs) {
          quiet = 0
          send(': heartbeat\n\n')
        }
      }, pollMs)
      request.signal.addEventListener('abort', end)
    },
    cancel() {
      clearInterval(timer)
    },
  })
  return new Response(stream, { headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store, no-transform', 'X-Accel-Buffering': 'no' } })
}
