// The probes after a rollout: healthz, ready, then version, which must name exactly the commit, the
// build and the image digest that were rolled; each to one deadline with bounded backoff.
import { ProbeError } from '../errors.ts'
import { waitFor } from '../probe.ts'
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
