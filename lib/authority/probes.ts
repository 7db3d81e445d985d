// The probes after a rollout: healthz, ready, then version, which must name exactly the commit, the
// build and the image digest that were rolled; each to one deadline with bounded backoff.
import { ProbeError } from '../errors.ts'
import { waitFor, type Answer } from '../probe.ts'
import type { ReleaseManifest } from '../release/manifest.ts'

/** What the image says it is (its labels) and the digest it was pulled by. */
export interface ExpectedRelease {
  commit: string
  buildId: string
  digest: string
}

/** The difference between what /api/version reports and what was rolled, or null when they agree. */
export function versionMismatch(body: unknown, expected: ExpectedRelease): string | null {
  const answer = body as { manifest?: ReleaseManifest; runningImage?: { digest?: string | null } } | undefined
  const got = {
    commit: answer?.manifest?.git?.commit ?? null,
    buildId: answer?.manifest?.webHost?.buildId ?? null,
    digest: answer?.runningImage?.digest ?? null,
  }
  const wrong = (Object.keys(got) as (keyof typeof got)[]).filter((key) => got[key] !== expected[key])
  if (wrong.length === 0) return null
  return wrong.map((key) => `${key} ${got[key] ?? '(none)'} instead of ${expected[key]}`).join(', ')
}

export async function probeRelease(url: string, expected: ExpectedRelease, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs
  const left = () => Math.max(1000, deadline - Date.now())
  await waitFor(`${url}/api/healthz`, { deadlineMs: left() })
  await waitFor(`${url}/api/ready`, { deadlineMs: left() })
  const version = await waitFor(`${url}/api/version`, { deadlineMs: left() })
  const mismatch = versionMismatch(version.json, expected)
  if (mismatch) throw new ProbeError(`${url}/api/version reports ${mismatch}: the rollout does not serve the release it was given`)
}

/**
 * For a target someone else rolls (Argo CD or Flux applying a commit): poll /api/version until it
 * names exactly the expected release, telling `onReport` each new thing it reports meanwhile, then
 * healthz and ready, all to one deadline. A ProbeError naming what the url last reported otherwise.
 */
export async function waitForRelease(url: string, expected: ExpectedRelease, o: { deadlineMs: number; onReport?: (report: string) => void }): Promise<void> {
  const deadline = Date.now() + o.deadlineMs
  let last: string | null = null
  const accept = (answer: Answer) => {
    const report = answer.status === 200 ? versionMismatch(answer.json, expected) : `status ${answer.status}`
    if (report !== null && report !== last) o.onReport?.(report)
    last = report ?? last
    return report === null
  }
  try {
    await waitFor(`${url}/api/version`, { deadlineMs: o.deadlineMs, accept, maxIntervalMs: 5000 })
  } catch (error) {
    if (!(error instanceof ProbeError) || last === null) throw error
    throw new ProbeError(`${url}/api/version still reports ${last} after ${o.deadlineMs / 1000} s`)
  }
  const left = () => Math.max(1000, deadline - Date.now())
  await waitFor(`${url}/api/healthz`, { deadlineMs: left() })
  await waitFor(`${url}/api/ready`, { deadlineMs: left() })
}
