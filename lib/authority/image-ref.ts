// How the published image is named: one repository under SF_REGISTRY, deployments by digest only,
// and the tag that records a digest passed test's probes.

/** The repository `npm run publish-image` pushes to. */
export function imageRepository(registry: string): string {
  return `${registry}/sf-server`
}

/** The registry host a repository lives on (the part docker logs in to). */
export function registryHost(registry: string): string {
  return registry.split('/')[0]!
}

export function isDigest(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value)
}

/** `repo@sha256:…`: what every deployment names, never a tag, so what runs cannot change under it. */
export function digestRef(repository: string, digest: string): string {
  return `${repository}@${digest}`
}

/**
 * `tested-<64 hex>`: pushed to the repository once a digest passed test's probes. A tag, so that a
 * Forgejo job on any runner and a person anywhere read the same evidence with the registry access
 * they already have (`docker pull`), and only who may push can write it.
 */
export function testedTag(digest: string): string {
  return `tested-${digest.slice('sha256:'.length)}`
}

/** The digest of `repository` among an image's RepoDigests (`docker image inspect`), or null. */
export function digestIn(repoDigests: readonly string[], repository: string): string | null {
  const entry = repoDigests.find((d) => d.startsWith(`${repository}@sha256:`))
  return entry ? entry.slice(repository.length + 1) : null
}

/**
 * The channels a host's controller follows: `test` names the digest deploy-test rolled and proved,
 * `prod` the one promote moved there. A channel tag is the intent; `tested-<hex>` stays the evidence.
 */
export const channels = ['test', 'prod'] as const
export type Channel = (typeof channels)[number]
