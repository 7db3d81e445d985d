// What deploy-test and promote check before they change anything: the configuration, the targets
// file, the digest and that the target can be rolled from here. All of it refuses with exit 2.
import path from 'node:path'
import { pullArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import type { Env, SfConfig } from '../env.ts'
import type { Progress } from '../progress.ts'
import { BuildError, ConfigError } from '../errors.ts'
import { distPaths } from '../paths.ts'
import { readManifest } from '../release/manifest.ts'
import { credentialsProblem, withRegistryAccess, type RegistryAccess } from './credentials.ts'
import { digestRef, imageRepository, isDigest } from './image-ref.ts'
import type { ExpectedRelease } from './probes.ts'
import { dockerTargetProblems, targetEnv } from './docker-target.ts'
import { RegistryClient } from './registry-api.ts'
import type { HostReport } from './fleet.ts'
import type { GitopsOutcome } from './gitops.ts'
import { dockerTargets, readTargets, targetsOf, type Target, type TargetName } from './targets.ts'

export interface DeployOptions {
  root: string
  env: Env
  /** All of it: a docker target's front runs with the drain and front-image settings. */
  config: SfConfig
  progress: Progress
  /** Default: the digest in dist/sf-release-manifest.json. */
  digest?: string
  probeTimeoutMs: number
  /** Move the channel and wait for the hosts that follow it, instead of rolling each from here. */
  wait: boolean
  waitTimeoutMs: number
}

export interface Deployed {
  target: string
  ref: string
  commit: string
  buildId: string
  /** The tag that now records the digest as tested (deploy-test only). */
  evidence?: string
  /** The channel tag moved to the digest. */
  channel: string
  /** --wait: each host, what it serves and when it took the digest. */
  hosts?: HostReport[]
  /** A gitops target: the commit whose overlay names the digest, whether this run pushed it, and whether the url was seen running it. */
  gitops?: GitopsOutcome
}

export interface AuthorityContext {
  access: RegistryAccess
  repository: string
  digest: string
  /** `repository@digest`. */
  ref: string
  /** The environment's targets: one, or each docker host that follows its channel. */
  targets: Target[]
  targetName: TargetName
  /** The registry's API for this repository: tags, evidence and labels without a pull. */
  client: RegistryClient
}

/**
 * Everything checked before anything changes. `wait`: the hosts roll themselves (their controllers),
 * so a docker target on another engine is fine; without it, every docker target is rolled from here.
 */
export function authorityContext(o: { root: string; config: SfConfig; digest?: string; targetName: TargetName; wait: boolean }): AuthorityContext {
  const { config } = o
  if (!config.SF_REGISTRY) throw new ConfigError('SF_REGISTRY is not set: set it to the registry npm run publish-image pushed to')
  const access = { registry: config.SF_REGISTRY, user: config.SF_REGISTRY_USER, password: config.SF_REGISTRY_PASSWORD }
  const problem = credentialsProblem(access)
  if (problem) throw new ConfigError(problem)
  const digest = o.digest ?? manifestDigest(o.root)
  if (!isDigest(digest)) throw new ConfigError(`--digest ${JSON.stringify(digest)}: must be sha256: followed by 64 hex digits, as npm run publish-image prints`)
  const file = readTargets(config.SF_TARGETS)
  const targets = targetsOf(file, o.targetName)
  const placed = dockerTargets(file).filter((p) => p.which === o.targetName)
  const problems = o.wait ? [] : placed.flatMap((p) => dockerTargetProblems(p.target, o.targetName, config, p.path))
  if (problems.length) throw new ConfigError(`cannot roll targets.${o.targetName} of ${config.SF_TARGETS}:\n  ${problems.join('\n  ')}`, problems)
  const repository = imageRepository(config.SF_REGISTRY)
  return { access, repository, digest, ref: digestRef(repository, digest), targets, targetName: o.targetName, client: new RegistryClient(repository, access) }
}

/** The digest publish-image wrote into dist/sf-release-manifest.json, when no --digest was given. */
function manifestDigest(root: string): string {
  const file = distPaths(root).manifest
  const digest = readManifest(file)?.image.digest
  if (!digest) throw new ConfigError(`no --digest given and ${path.relative(root, file)} names no image digest: give --digest sha256:… or run npm run publish-image`)
  return digest
}

/** What the image `digest` says it is, from its labels in the registry: the commit and build, and the digest. */
export async function releaseOf(client: RegistryClient, digest: string): Promise<ExpectedRelease> {
  const labels = await client.labels(digest)
  const commit = labels['org.opencontainers.image.revision'] ?? ''
  const buildId = labels['sf.build-id'] ?? ''
  if (!/^[0-9a-f]{40}$/.test(commit) || !buildId) {
    throw new BuildError(`${digestRef(client.repository, digest)} has no org.opencontainers.image.revision or sf.build-id label: it was not built by npm run docker:build; publish one that was`)
  }
  return { commit, buildId, digest }
}

/** Pull `ref` on an engine (a docker target's), which then has the image its server starts from. */
export async function pullImage(ref: string, access: RegistryAccess, env: Env): Promise<void> {
  await withRegistryAccess(access, env, (authed, signal) => docker(pullArgs(ref), { env: authed, signal }))
}

/**
 * What `ref` says it is, read from the registry; a docker target's engine pulls it too, so that its
 * server starts from an image the engine already holds.
 */
export async function expectedRelease(context: AuthorityContext, deployerEnv: Env, o: { wait: boolean }): Promise<ExpectedRelease> {
  const expected = await releaseOf(context.client, context.digest)
  if (o.wait) return expected
  for (const target of context.targets) if (target.kind === 'docker') await pullImage(context.ref, context.access, targetEnv(target, deployerEnv))
  return expected
}
