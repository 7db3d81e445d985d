// The evidence that a digest passed test's probes: the tag `tested-<hex>` on the same repository,
// pointing at that digest. Recorded by deploy-test after the probes pass; read by promote.
import { imageInspectArgs, pullArgs, pushArgs, tagArgs } from '../docker/args.ts'
import { docker, firstLine } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { InterruptedError } from '../errors.ts'
import { withRegistryAccess, type RegistryAccess } from './credentials.ts'
import { digestIn, digestRef, registryHost, testedTag } from './image-ref.ts'

/**
 * `untested`: the registry answered and holds no evidence for the digest. `registry`: the registry (or
 * the engine asking it) did not answer properly, so nothing is known about the digest.
 */
export type Evidence = { ok: true; tag: string } | { ok: false; why: 'untested' | 'registry'; reason: string }

/**
 * Why `docker pull` failed, from its stderr: the registry answered that the tag does not exist, or
 * anything else (refused, unreachable, denied, an engine that does not answer).
 */
export function pullFailure(stderr: string): 'missing' | 'registry' {
  return /manifest unknown|manifest for \S+ not found/i.test(stderr) ? 'missing' : 'registry'
}

/** Tag `repository@digest` as tested and push the tag (the image's layers are already there). */
export async function recordTested(repository: string, digest: string, access: RegistryAccess, env: Env): Promise<string> {
  const tag = `${repository}:${testedTag(digest)}`
  await withRegistryAccess(access, env, async (authed, signal) => {
    await docker(pullArgs(digestRef(repository, digest)), { env: authed, signal })
    await docker(tagArgs(digestRef(repository, digest), tag), { env: authed, signal })
    await docker(pushArgs(tag, { quiet: true }), { env: authed, signal })
  })
  return tag
}

/** Whether the registry holds `tested-<hex>` for exactly this digest. A check: it throws only when a signal stops it. */
export async function testedEvidence(repository: string, digest: string, access: RegistryAccess, env: Env): Promise<Evidence> {
  const tag = `${repository}:${testedTag(digest)}`
  const howToTest = `roll it to test first: npm run deploy-test -- --digest ${digest}`
  try {
    // Pulled, not inspected locally: only the registry's answer counts, not a tag left on this engine.
    const pulled = await withRegistryAccess(access, env, (authed, signal) => docker(pullArgs(tag), { env: authed, allowFailure: true, signal }))
    if (pulled.code !== 0 && pullFailure(pulled.stderr) === 'registry') {
      return { ok: false, why: 'registry', reason: registryFailed(access, tag, firstLine(pulled.stderr) || `docker pull exited with ${pulled.code}`) }
    }
    if (pulled.code !== 0) {
      return { ok: false, why: 'untested', reason: `${digest} has not passed test's probes: the registry has no ${tag} (${firstLine(pulled.stderr)}); ${howToTest}` }
    }
    const inspected = await docker(imageInspectArgs(tag, '{{json .RepoDigests}}'), { env })
    const repoDigests = JSON.parse(inspected.stdout) as string[]
    if (!repoDigests.includes(digestRef(repository, digest))) {
      return { ok: false, why: 'untested', reason: `${tag} points at ${digestIn(repoDigests, repository) ?? 'no digest'}, not ${digest}; ${howToTest}` }
    }
    return { ok: true, tag }
  } catch (error) {
    if (error instanceof InterruptedError) throw error // a signal stops the command; it is not evidence
    return { ok: false, why: 'registry', reason: registryFailed(access, tag, (error as Error).message) }
  }
}

function registryFailed(access: RegistryAccess, tag: string, error: string): string {
  return `could not ask the registry ${registryHost(access.registry)} for ${tag}: ${error}; nothing was changed: make the registry answer (is it running, and reachable from this engine?), then run promote again`
}
