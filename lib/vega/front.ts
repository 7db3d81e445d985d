// docker:vega:front: replace vega's front with no gap (a new HAProxy image, a changed configuration, or
// anything a fresh container fixes), under the upgrade lock; --dry-run says what it would do.
import { engineAnswers } from '../docker/engine.ts'
import { ConfigError, DockerError } from '../errors.ts'
import { frontName } from '../front/definition.ts'
import { ensureCurrentFront } from '../front/ensure.ts'
import { acquireLock, lockFile } from '../front/lock.ts'
import { frontPlan } from '../front/plan.ts'
import { listFronts } from '../front/setup.ts'
import type { VegaContext } from './context.ts'
import { frontSite, vegaLockBusy } from './front-site.ts'
import { probeHostFor } from './preflight.ts'

export async function replaceVegaFront(ctx: VegaContext, o: { dryRun: boolean; lockWaitMs: number }): Promise<string[]> {
  const { config, env } = ctx
  const name = config.SF_VEGA_NAME
  if (config.SF_VEGA_FRONT !== 'haproxy') throw new ConfigError(`SF_VEGA_FRONT=none: ${name} has no front to replace; unset SF_VEGA_FRONT (the front is the default) and run npm run docker:vega:up`)
  const engine = await engineAnswers(env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const site = frontSite(ctx)
  if (!(await listFronts(site)).length) throw new ConfigError(`there is no front ${frontName(name)} to replace: run npm run docker:vega:up, which creates it`)
  if (o.dryRun) return frontPlan(site)
  const lock = await acquireLock(lockFile(config.SF_HOME, name), { command: 'npm run docker:vega:front', waitMs: o.lockWaitMs, busy: vegaLockBusy })
  try {
    return await ensureCurrentFront(site, { active: null, probeHost: probeHostFor(config), force: true })
  } finally {
    await lock.release()
  }
}
