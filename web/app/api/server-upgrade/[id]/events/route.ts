import { processDrain } from '../../../../../../lib/server/drain.ts'
import { inspectContainer } from '../../../../../../lib/docker/inspect.ts'
import { readEvents, findEventsFile, type UpgradeEvent } from '../../../../../../lib/vega/upgrade-events.ts'
import { serverContext } from '../../../../../server/context.ts'
import { json, refuseUnlessAdmin } from '../../../../../server/respond.ts'
import fs from 'node:fs'

export const dynamic = 'force-dynamic'

const pollMs = 250
const heartbeatMs = 15_000
/** How often a quiet stream asks the engine whether the upgrader still runs. */
const livenessMs = 5000

/**
 * Admin: the events of upgrade <id> as Server-Sent Events, each with its line number as id, from the
 * line after Last-Event-ID. Ends after the outcome; ends early when this server begins to drain (it is
 * being replaced), and the client resumes from the server that now serves, which reads the same file.
 * An upgrader that died without an outcome gets one written for it, so no stream waits for ever.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const refused = refuseUnlessAdmin(request)
  if (refused) return refused
  const { id } = await params
  const file = await findEventsFile(serverContext().config.SF_HOME, id)
  if (!file) return json({ error: `no upgrade ${JSON.stringify(id)} is recorded under SF_HOME: GET /api/server-upgrade lists the recent ones` }, 404)
  const lastSeen = Number(request.headers.get('last-event-id') ?? new URL(request.url).searchParams.get('after') ?? 0)
  let after = Number.isInteger(lastSeen) && lastSeen > 0 ? lastSeen : 0
  // A client that has seen the outcome gets nothing more; one that names a line the file does not
  // have yet has seen no more than the file holds, or it would wait for ever for an outcome it skipped.
  const recorded = await readEvents(file, 0)
  const outcomeSeen = recorded.some((e) => e.event === 'outcome' && e.line <= after)
  after = Math.min(after, recorded.at(-1)?.line ?? 0)
  const drain = processDrain()
  const encoder = new TextEncoder()
  let timer: ReturnType<typeof setInterval> | undefined
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false
      const send = (text: string) => !closed && controller.enqueue(encoder.encode(text))
      const end = () => {
        clearInterval(timer)
        if (closed) return
        closed = true
        try {
          controller.close()
        } catch {
          // already closed by the client
        }
      }
      const emit = (e: UpgradeEvent) => send(`id: ${e.line}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
      send('retry: 1000\n\n')
      if (outcomeSeen) return end()
      let quiet = 0
      let busy = false
      const tick = async () => {
        if (busy || closed) return
        busy = true
        try {
          const events = await readEvents(file, after)
          for (const e of events) {
            emit(e)
            after = e.line
            if (e.event === 'outcome') return end()
          }
          if (drain.snapshot().phase === 'draining') {
            send(`event: draining\ndata: ${JSON.stringify({ reason: drain.snapshot().reason })}\n\n`)
            return end()
          }
          quiet = events.length ? 0 : quiet + pollMs
          if (quiet > 0 && quiet % livenessMs === 0) await writeOutcomeIfUpgraderGone(file, events.length ? null : id)
          if (quiet > 0 && quiet % heartbeatMs === 0) send(': heartbeat\n\n')
        } finally {
          busy = false
        }
      }
      timer = setInterval(() => void tick(), pollMs)
      void tick()
      request.signal.addEventListener('abort', end)
    },
    cancel() {
      clearInterval(timer)
    },
  })
  return new Response(stream, { headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store, no-transform', 'X-Accel-Buffering': 'no' } })
}

/** The upgrader container of `id` is gone and the file has no outcome: say so in the file, once. */
async function writeOutcomeIfUpgraderGone(file: string, id: string | null): Promise<void> {
  if (!id) return
  const events = await readEvents(file, 0)
  if (events.some((e) => e.event === 'outcome')) return
  const requested = events.find((e) => e.event === 'requested')?.data
  const container = typeof requested?.container === 'string' ? requested.container : null
  if (!container) return
  const state = await inspectContainer(container, process.env).catch(() => undefined)
  if (state === undefined || (state && state.labels['sf.upgrade.id'] === id && state.running)) return
  // Read again: the upgrader may have written its outcome just before it exited.
  if ((await readEvents(file, 0)).some((e) => e.event === 'outcome')) return
  fs.appendFileSync(file, JSON.stringify({ event: 'outcome', outcome: 'failed', error: `the upgrader container ${container} ended without an outcome (killed, or it could not start); the next upgrade puts right what it left (converge)` }) + '\n')
}
