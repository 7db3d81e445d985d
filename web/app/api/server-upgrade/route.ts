import { readHistory } from '../../../../lib/vega/history.ts'
import { checkoutHead, upgradeAvailability } from '../../../../lib/vega/self-upgrade.ts'
import { recentUpgrades } from '../../../../lib/vega/upgrade-events.ts'
import { serverContext } from '../../../server/context.ts'
import { json, refuseUnlessAdmin } from '../../../server/respond.ts'
import { startFromRequest } from '../../../server/self-upgrade.ts'

export const dynamic = 'force-dynamic'

/** Admin: start upgrading this server to the checkout's HEAD (body: {} or {"expectCommit": "<commit>", "canary": [10, 50], "step": 30}, each field optional). */
export function POST(request: Request) {
  return startFromRequest(request, 'upgrade')
}

/** Admin: what an upgrade would do (the checkout's HEAD against what serves), whether one can start, and the recent attempts. */
export async function GET(request: Request) {
  const refused = refuseUnlessAdmin(request)
  if (refused) return refused
  const { config, manifest } = serverContext()
  const availability = await upgradeAvailability(config, process.env)
  const name = availability.name ?? config.SF_VEGA_NAME
  return json({
    serving: manifest ? { commit: manifest.git.commit, dirty: manifest.git.dirty, buildId: manifest.webHost.buildId, builtAt: manifest.builtAt } : null,
    checkout: await checkoutHead(config),
    unavailable: availability.unavailable,
    lock: availability.lock,
    upgrades: await recentUpgrades(config.SF_HOME, name, 10),
    history: (await readHistory(config.SF_HOME, 10)).reverse(),
  })
}
