// Vega's server as the front serves it: the site its configuration names, in vega's words.
import type { FrontSite, FrontWords } from '../front/site.ts'
import type { UpgradeContext, VegaContext } from './context.ts'

/** What the front tells a vega user to run. */
export const vegaWords: FrontWords = {
  maker: 'docker:vega:up',
  rename: 'set SF_VEGA_NAME',
  repair: 'npm run docker:vega:up',
  frontImage: 'SF_VEGA_FRONT_IMAGE',
}

/** What a vega user is told while another upgrade holds the lock. */
export const vegaLockBusy = 'wait for it to finish, or pass --lock-wait <seconds>'

export function frontSite(ctx: VegaContext | UpgradeContext): FrontSite {
  const { config } = ctx
  return {
    name: config.SF_VEGA_NAME,
    bind: config.SF_VEGA_BIND,
    port: config.SF_VEGA_PORT,
    metricsPort: config.SF_VEGA_METRICS_PORT,
    home: config.SF_HOME,
    drainStopSeconds: config.SF_VEGA_DRAIN_STOP_TIME,
    frontImage: config.SF_VEGA_FRONT_IMAGE,
    env: ctx.env,
    progress: ctx.progress,
    words: vegaWords,
  }
}
