// The server's upgrade endpoints, shared by POST /api/server-upgrade and its rollback: who may ask
// (the admin token; from a browser, only a page of this server), what they may send, and the start.
import { foreignOrigin } from '../../lib/server/same-origin.ts'
import { parseSelfUpgradeBody, SelfUpgradeRefused, startSelfUpgrade } from '../../lib/vega/self-upgrade.ts'
import type { UpgraderAction } from '../../lib/vega/upgrader.ts'
import { serverContext } from './context.ts'
import { log } from './log.ts'
import { bodyText, json, refuseUnlessAdmin } from './respond.ts'

/** {"expectCommit": "<40 hex>", "canary": [..], "step": n} is some 120 bytes. */
const maxBodyBytes = 4096

/** Refusals first, each before anything is started; then the upgrader, and 202 with where to follow it. */
export async function startFromRequest(request: Request, action: UpgraderAction): Promise<Response> {
  const refused = refuseUnlessAdmin(request)
  if (refused) return refused
  const foreign = foreignOrigin(request.headers.get('origin'), request.headers.get('host'))
  if (foreign) return json({ error: foreign }, 403)
  try {
    const text = await bodyText(request, maxBodyBytes)
    if (text === null) return json({ error: `the body is over ${maxBodyBytes} bytes: send {} or {"expectCommit": "<commit>", "canary": [10, 50], "step": 30}` }, 413)
    const body = parseSelfUpgradeBody(text)
    const started = await startSelfUpgrade(serverContext().config, process.env, action, body)
    log(`${action} ${started.id} started in container ${started.container}${started.staleLock ? ` (${started.staleLock})` : ''}`)
    return json({ id: started.id, action, container: started.container, events: `/api/server-upgrade/${started.id}/events`, staleLock: started.staleLock }, 202)
  } catch (error) {
    if (error instanceof SelfUpgradeRefused) return json({ error: error.message }, error.status)
    log(`${action} could not start: ${(error as Error).stack ?? error}`)
    return json({ error: (error as Error).message }, 500)
  }
}
