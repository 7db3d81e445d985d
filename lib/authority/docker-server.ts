// The production server of a docker target, defined once: the published image by digest behind the
// target's front, in one slot. Pure: it only builds the ContainerSpec (unit tests compare the
// `docker run` arrays exactly); docker-rollout.ts hands it to the front's frontSwap.
import type { ContainerSpec } from '../docker/args.ts'
import { networkName, slotAlias, type Slot } from '../front/definition.ts'
import { candidateName, serverPort } from '../front/site.ts'
import { slotProbeHost } from '../front/swap.ts'

/** Where the production image (docker/Dockerfile.sf-server, uid 1000, HOME=/home/node) keeps SF_HOME. */
export const serverHome = '/home/node/.sf'

/** The named volume holding the target's SF_HOME (its admin token), shared by old and new server. */
export const homeVolume = (name: string) => `${name}-home`

export interface TargetServerInputs {
  /** The target's container name; the new server starts as `<name>-candidate` until proven. */
  name: string
  /** `repository@sha256:…`: the image by digest, never a tag. */
  ref: string
  digest: string
  /** From the image's own labels (org.opencontainers.image.revision, sf.build-id). */
  commit: string
  buildId: string
  graceMs: number
  /** Seconds `docker stop` waits for the drain (the target's drainStopTime, else SF_VEGA_DRAIN_STOP_TIME). */
  stopTimeout: number
}

/**
 * A new server for `slot`: joined to the front's network under the slot's alias, its own probe port on
 * `port`, never restarted until frontSwap has proven it and made it prod (`unless-stopped` then).
 * The command is the image's own (`node /opt/sf/dist/loader.js server /workspace …`).
 */
export function targetServerSpec(t: TargetServerInputs, slot: Slot, port: number): ContainerSpec {
  return {
    name: candidateName(t.name),
    image: t.ref,
    command: [],
    env: {
      SF_HOME: serverHome,
      SF_RPC_SHUTDOWN_GRACE_MS: String(t.graceMs),
      // /api/version names what runs as the deployer rolled it; an image cannot hold its own digest.
      SF_IMAGE_TAG: t.ref,
      SF_IMAGE_DIGEST: t.digest,
    },
    mounts: [{ source: homeVolume(t.name), target: serverHome, volume: true }],
    // Its own port is for the deploy's probes only: loopback, whatever the target's bind is.
    ports: [{ bind: slotProbeHost, hostPort: port, containerPort: serverPort }],
    groupAdd: [],
    restart: 'no',
    stopSignal: 'SIGTERM',
    stopTimeout: t.stopTimeout,
    labels: {
      'sf.role': targetRole,
      'sf.target': t.name,
      'sf.vega.slot': slot,
      'sf.commit': t.commit,
      'sf.build-id': t.buildId,
      'sf.image-digest': t.digest,
    },
    network: { name: networkName(t.name), aliases: [slotAlias(t.name, slot)] },
  }
}

/** The label that marks a container as a docker target's server, so a stranger's is never replaced. */
export const targetRole = 'sf-target'
