// What deploy-test and promote check before they change anything: the configuration, the targets
// file, the digest and that the target can be rolled from here. All of it refuses with exit 2.
import path from 'node:path'
import { imageInspectArgs, pullArgs } from '../docker/args.ts'
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
import type { GitopsOutcome } from './gitops.ts'
import { readTargets, type Target, type TargetName } from './targets.ts'

export interface DeployOptions {
  root: string
  env: Env
  /** All of it: a docker target's front runs with the drain and front-image settings. */
  config: SfConfig
  progress: Progress
  /** Default: the digest in dist/sf-release-manifest.json. */
  digest?: string
  probeTimeoutMs: number
  /** Wait until the target runs the release: for a gitops target, after the push (--wait). */
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
  /** A gitops target: the commit whose overlay names the digest, whether this run pushed it, and whether the url was seen running it. */
  gitops?: GitopsOutcome
}

export interface AuthorityContext {
  access: RegistryAccess
  repository: string
  digest: string
  /** `repository@digest`. */
  ref: string
  target: Target
  targetName: TargetName
}

export function authorityContext(o: { root: string; config: SfConfig; digest?: string; targetName: TargetName }): AuthorityContext {
  const { config } = o
  if (!config.SF_REGISTRY) throw new ConfigError('SF_REGISTRY is not set: set it to the registry npm run publish-image pushed to')
  const access = { registry: config.SF_REGISTRY, user: config.SF_REGISTRY_USER, password: config.SF_REGISTRY_PASSWORD }
  const problem = credentialsProblem(access)
  if (problem) throw new ConfigError(problem)
  const digest = o.digest ?? manifestDigest(o.root)
  if (!isDigest(digest)) throw new ConfigError(`--digest ${JSON.stringify(digest)}: must be sha256: followed by 64 hex digits, as npm run publish-image prints`)
  const target = readTargets(config.SF_TARGETS)[o.targetName]
  const problems = target.kind === 'docker' ? dockerTargetProblems(target, o.targetName, config) : []
  if (problems.length) throw new ConfigError(`cannot roll targets.${o.targetName} of ${config.SF_TARGETS}:\n  ${problems.join('\n  ')}`, problems)
  const repository = imageRepository(config.SF_REGISTRY)
  return { access, repository, digest, ref: digestRef(repository, digest), target, targetName: o.targetName }
}

/** The digest publish-image wrote into dist/sf-release-manifest.json, when no --digest was given. */
function manifestDigest(root: string): string {
  const file = distPaths(root).manifest
  const digest = readManifest(file)?.image.digest
  if (!digest) throw new ConfigError(`no --digest given and ${path.relative(root, file)} names no image digest: give --digest sha256:… or run npm run publish-image`)
  return digest
}

/**
 * Pull `ref` and read what it says it is: the commit and build its labels name, and its digest. On a
 * docker target's engine, which then has the image its server starts from.
 */
export async function expectedRelease(context: AuthorityContext, deployerEnv: Env): Promise<ExpectedRelease> {
  const env = context.target.kind === 'docker' ? targetEnv(context.target, deployerEnv) : deployerEnv
  await withRegistryAccess(context.access, env, (authed, signal) => docker(pullArgs(context.ref), { env: authed, signal }))
  const format = '{{index .Config.Labels "org.opencontainers.image.revision"}} {{index .Config.Labels "sf.build-id"}}'
  const [commit = '', buildId = ''] = (await docker(imageInspectArgs(context.ref, format), { env })).stdout.trim().split(' ')
  if (!/^[0-9a-f]{40}$/.test(commit) || !buildId) {
    throw new BuildError(`${context.ref} has no org.opencontainers.image.revision or sf.build-id label: it was not built by npm run docker:build; publish one that was`)
  }
  return { commit, buildId, digest: context.digest }
}
