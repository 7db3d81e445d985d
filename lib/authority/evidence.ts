// The evidence that a digest passed test's probes: the tag `tested-<hex>` on the same repository,
// pointing at that digest. Recorded by deploy-test after the probes pass; read by promote and by each
// host's controller before it rolls prod. Both are calls on the registry's API: no layer is pulled.
import { RegistryError } from './errors.ts'
import { testedTag } from './image-ref.ts'
import type { RegistryClient } from './registry-api.ts'

/**
 * `untested`: the registry answered and holds no evidence for the digest. `registry`: the registry did
 * not answer properly, so nothing is known about the digest.
 */
export type Evidence = { ok: true; tag: string } | { ok: false; why: 'untested' | 'registry'; reason: string }

/** Tag `repository@digest` as tested: the digest's manifest put under `tested-<hex>`. */
export async function recordTested(client: RegistryClient, digest: string): Promise<string> {
  await client.tag(testedTag(digest), digest)
  return `${client.repository}:${testedTag(digest)}`
}

/** Whether the registry holds `tested-<hex>` for exactly this digest. A check: it does not throw. */
export async function testedEvidence(client: RegistryClient, digest: string): Promise<Evidence> {
  const tag = `${client.repository}:${testedTag(digest)}`
  const howToTest = `roll it to test first: npm run deploy-test -- --digest ${digest}`
  try {
    const found = await client.resolve(testedTag(digest))
    if (found === null) return { ok: false, why: 'untested', reason: `${digest} has not passed test's probes: the registry has no ${tag}; ${howToTest}` }
    if (found !== digest) return { ok: false, why: 'untested', reason: `${tag} points at ${found}, not ${digest}; ${howToTest}` }
    return { ok: true, tag }
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error
    return {
      ok: false,
      why: 'registry',
      reason: `could not ask for ${tag}: ${error.message}; nothing was changed: make the registry answer, then run promote again`,
    }
  }
}
