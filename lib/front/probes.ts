// The probes a candidate and a new prod must pass: healthz, ready, version (exactly the expected
// build) and projects, each to a deadline with bounded backoff.
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { ProbeError } from '../errors.ts'
import type { ReleaseManifest } from '../release/manifest.ts'
import { waitFor } from '../probe.ts'

export interface Expected {
  commit: string
  buildId: string
  /** The image digest the deployer rolled (SF_IMAGE_DIGEST); vega's source-server images have none. */
  digest?: string
}

export async function probeServer(url: string, expected: Expected | null, o: { deadlineMs: number; container: string; env: Env }): Promise<void> {
  const abortIf = async () => {
    const state = await inspectContainer(o.container, o.env)
    if (!state) return `container ${o.container} is gone`
    if (state.restartCount > 0) return `container ${o.container} crashed and was restarted`
    return state.running ? null : `container ${o.container} exited with ${state.exitCode}`
  }
  const deadline = Date.now() + o.deadlineMs
  const left = () => Math.max(1000, deadline - Date.now())
  await waitFor(`${url}/api/healthz`, { deadlineMs: left(), abortIf })
  await waitFor(`${url}/api/ready`, { deadlineMs: left(), abortIf })
  const version = await waitFor(`${url}/api/version`, { deadlineMs: left(), abortIf })
  const { manifest, runningImage } = version.json as { manifest?: ReleaseManifest; runningImage?: { digest?: string | null } }
  if (expected && (manifest?.git.commit !== expected.commit || manifest.webHost.buildId !== expected.buildId)) {
    throw new ProbeError(
      `${url}/api/version reports commit ${manifest?.git.commit ?? '?'} build ${manifest?.webHost.buildId ?? '?'}, expected commit ${expected.commit} build ${expected.buildId}`,
    )
  }
  if (expected?.digest && runningImage?.digest !== expected.digest) {
    throw new ProbeError(`${url}/api/version reports image digest ${runningImage?.digest ?? '(none)'}, expected ${expected.digest}`)
  }
  await waitFor(`${url}/api/projects`, { deadlineMs: left(), abortIf })
}
