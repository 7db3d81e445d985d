// What the front serves, as its callers give it: one site (vega's server, or a docker target's) with its
// name, address, drain time and front image, and the words its messages use. The front never reads the
// configuration itself, so a docker target's user is told what a docker target's user can run.
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'

/** The commands and settings the front names when it refuses or gives up, in the caller's own terms. */
export interface FrontWords {
  /** Who makes the site's network and containers: "a network named x exists that <maker> did not make". */
  maker: string
  /** How to give the site another name, after "remove it (…) or". */
  rename: string
  /** The command that puts a site right when the front cannot: "run <repair>". */
  repair: string
  /** The setting that chooses the front's image: "set <frontImage> to an haproxy image". */
  frontImage: string
}

export interface FrontSite {
  /** The prod container's name; the front, network, slots and candidate are named after it. */
  name: string
  bind: string
  port: number
  /** The host port the holder publishes the front's Prometheus exporter on, on loopback; unset: none. */
  metricsPort?: number
  /** The folder the site's state is kept under (`<home>/vega/<name>/`: the front's folder and the lock). */
  home: string
  /** Seconds `docker stop` lets a server drain; also the longest a request may run through the front. */
  drainStopSeconds: number
  /** The haproxy image to run; unset: the front chooses one. */
  frontImage?: string
  env: Env
  progress: Progress
  words: FrontWords
}

/** The port a server listens on inside its container, where the front and its own probe port reach it. */
export const serverPort = 4000

/** The old prod while a direct-mode replacement is proven: put back if the new one fails. */
export const asideName = (name: string) => `${name}-previous`
/** A new server until it is proven and renamed to prod. */
export const candidateName = (name: string) => `${name}-candidate`
