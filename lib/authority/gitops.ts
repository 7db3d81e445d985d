// Promoting a kubernetes target through GitOps: commit the digest into the overlay's kustomization.yaml
// in a local clone of the repository Argo CD or Flux applies, push it to the branch's upstream, and
// with --wait poll the target's url until it runs the release. Every check passes before anything is
// changed, and a push the remote refuses leaves the checkout as it was.
import fs from 'node:fs'
import path from 'node:path'
import type { Env } from '../env.ts'
import { ConfigError, ProbeError } from '../errors.ts'
import { identityArgs, type GitIdentity } from '../git.ts'
import type { Progress } from '../progress.ts'
import { run } from '../run.ts'
import { GitopsError } from './errors.ts'
import { pinKustomizationImage } from './kustomization.ts'
import { waitForRelease, type ExpectedRelease } from './probes.ts'
import type { GitopsTarget, TargetName } from './targets.ts'

export interface GitopsOptions {
  env: Env
  progress: Progress
  /** Who the commit is by (SF_GIT_AUTHOR_NAME, SF_GIT_AUTHOR_EMAIL). */
  identity: GitIdentity
  wait: boolean
  waitTimeoutMs: number
  /** The command the messages tell a person to run again (npm run promote). */
  command: string
}

export interface GitopsOutcome {
  /** The commit of the upstream whose overlay names the digest. */
  commit: string
  /** False when the overlay named the digest already, and nothing was committed. */
  pushed: boolean
  /** The target's url was seen reporting the release (only with --wait). */
  running: boolean
}

/** The image by repository and digest, and what it says it is. */
export interface GitopsImage {
  repository: string
  expected: ExpectedRelease
}

export async function promoteGitops(target: GitopsTarget, targetName: TargetName, image: GitopsImage, options: GitopsOptions): Promise<GitopsOutcome> {
  const { progress } = options
  const { checkout } = target.gitops
  const file = path.posix.join(target.gitops.overlay, 'kustomization.yaml')
  const { digest } = image.expected
  const git = gitIn(checkout, options.env)

  let done = progress.phase(`fetch the upstream of ${checkout}`)
  const upstream = await upstreamOf(checkout, `targets.${targetName}.gitops.checkout`, git)
  const tip = await fetchUpstream(checkout, upstream, git)
  const shown = await git(['show', `${tip}:./${file}`], { allowFailure: true })
  if (shown.code !== 0) {
    throw new ConfigError(
      `targets.${targetName}.gitops.overlay: ${upstream.name} has no ${file} in ${checkout} (${firstLine(shown.stderr)}): point overlay at the folder of the kustomization.yaml Argo CD or Flux applies; nothing was changed`,
    )
  }
  const pinned = pinKustomizationImage(shown.stdout, { name: target.gitops.image, newName: image.repository, digest }, `${upstream.name}:${file} in ${checkout}`)
  await git(['merge', '--quiet', '--ff-only', tip])
  done(`${upstream.branch} at ${tip.slice(0, 12)}`)

  let commit = tip
  done = progress.phase(`commit ${digest} to ${file}`)
  if (!pinned.changed) {
    done(`${file} names it already: nothing to commit`)
  } else {
    fs.writeFileSync(path.join(checkout, file), pinned.text)
    await git([...identityArgs(options.identity), 'commit', '--quiet', '--message', commitMessage(target, targetName, image, options.command), '--', file])
    commit = (await git(['rev-parse', 'HEAD'])).stdout.trim()
    done(`${commit.slice(0, 12)}: ${pinned.before} → ${image.repository}@${digest}`)
    done = progress.phase(`push ${commit.slice(0, 12)} to ${upstream.name}`)
    await pushOrReset(upstream, tip, git, options.command)
    done()
  }

  if (!options.wait) {
    progress.note(`Argo CD or Flux applies ${commit.slice(0, 12)} to the cluster; not waited for (--wait waits until ${target.url} runs it)`)
    return { commit, pushed: pinned.changed, running: false }
  }
  const seconds = Math.round(options.waitTimeoutMs / 1000)
  done = progress.phase(`wait for ${target.url} to run it, up to ${seconds} s (Argo CD or Flux applies ${commit.slice(0, 12)})`)
  try {
    await waitForRelease(target.url, image.expected, { deadlineMs: options.waitTimeoutMs, onReport: (report) => progress.note(`${target.url} reports ${report}`) })
  } catch (error) {
    if (!(error instanceof ProbeError)) throw error
    throw new ProbeError(
      `${error.message}; ${commit.slice(0, 12)} is in ${upstream.name}, and Argo CD or Flux applies it: see whether it synced and why not (argocd app get, flux get kustomizations), then run ${options.command} -- --wait again (it commits nothing a second time)`,
    )
  }
  done(`commit ${image.expected.commit.slice(0, 12)}, build ${image.expected.buildId}`)
  return { commit, pushed: pinned.changed, running: true }
}

/** The commit's message: which image, digest, SF commit and build, to which target, by which command. */
export function commitMessage(target: GitopsTarget, targetName: TargetName, image: GitopsImage, command: string): string {
  const { commit, buildId, digest } = image.expected
  const verb = targetName === 'prod' ? 'promote' : 'deploy'
  return `${target.gitops.image}: ${verb} ${digest} (commit ${commit}, build ${buildId}) to ${targetName}\n\n${image.repository}@${digest}\nCommitted by ${command}.\n`
}

type Git = (args: string[], o?: { allowFailure?: boolean }) => ReturnType<typeof run>

/**
 * git in the checkout. It may belong to another user (a runner's container reads it as root), so each
 * call names it safe; git must never ask for a password, since nobody answers.
 */
function gitIn(checkout: string, env: Env): Git {
  return (args, o = {}) => run('git', ['-c', `safe.directory=${checkout}`, ...args], { cwd: checkout, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, allowFailure: o.allowFailure })
}

interface Upstream {
  remote: string
  branch: string
  /** The branch on the remote, refs/heads/… */
  mergeRef: string
  /** How git names it here: origin/main. */
  name: string
}

/** The branch the checkout is on and its upstream, refusing a checkout that is missing, dirty or has none. */
async function upstreamOf(checkout: string, where: string, git: Git): Promise<Upstream> {
  if (!fs.statSync(checkout, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError(`${where}: ${checkout} is not a folder: clone the repository Argo CD or Flux applies there (git clone <url> ${checkout})`)
  }
  const inside = await git(['rev-parse', '--is-inside-work-tree'], { allowFailure: true })
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
    throw new ConfigError(`${where}: ${checkout} is not a git checkout (${firstLine(inside.stderr) || 'no work tree'}): clone the repository Argo CD or Flux applies there`)
  }
  const status = (await git(['status', '--porcelain', '--untracked-files=normal'])).stdout.split('\n').filter(Boolean)
  if (status.length > 0) {
    const listed = status.slice(0, 5).map((line) => line.trim()).join('; ') + (status.length > 5 ? `; and ${status.length - 5} more` : '')
    throw new ConfigError(`${checkout} has changes that are not committed (${listed}): commit, stash or remove them first; promote commits only its own change. Nothing was changed`)
  }
  const branch = (await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFailure: true })).stdout.trim()
  if (!branch) throw new ConfigError(`${checkout} is on no branch (detached HEAD): switch to the branch Argo CD or Flux watches (git -C ${checkout} switch main)`)
  const config = async (key: string) => (await git(['config', '--get', `branch.${branch}.${key}`], { allowFailure: true })).stdout.trim()
  const [remote, mergeRef] = [await config('remote'), await config('merge')]
  if (!remote || !mergeRef) {
    throw new ConfigError(`branch ${branch} of ${checkout} has no upstream to push to: set it (git -C ${checkout} branch --set-upstream-to=origin/${branch})`)
  }
  const name = (await git(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'])).stdout.trim()
  return { remote, branch, mergeRef, name }
}

/** Fetch, and return the upstream's commit if the branch can fast-forward to it. */
async function fetchUpstream(checkout: string, upstream: Upstream, git: Git): Promise<string> {
  const fetched = await git(['fetch', '--quiet', upstream.remote], { allowFailure: true })
  if (fetched.code !== 0) {
    throw new GitopsError(`cannot fetch ${upstream.remote} into ${checkout} (${firstLine(fetched.stderr)}): check that the remote is reachable from here and the checkout's credentials; nothing was changed`)
  }
  const tip = (await git(['rev-parse', '--verify', `${upstream.name}^{commit}`])).stdout.trim()
  const behind = await git(['merge-base', '--is-ancestor', 'HEAD', tip], { allowFailure: true })
  if (behind.code !== 0) {
    throw new ConfigError(
      `${upstream.branch} in ${checkout} has commits ${upstream.name} has not (git -C ${checkout} log ${upstream.name}..HEAD), so it cannot fast-forward: push or drop them first; promote pushes only its own commit. Nothing was changed`,
    )
  }
  return tip
}

/** Push HEAD to the upstream; if the remote refuses, reset the commit away and say so. */
async function pushOrReset(upstream: Upstream, before: string, git: Git, command: string): Promise<void> {
  const pushed = await git(['push', '--quiet', upstream.remote, `HEAD:${upstream.mergeRef}`], { allowFailure: true })
  if (pushed.code === 0) return
  // What the remote said (a hook's own words come as remote: lines) and why git gave up, without the "To <url>" line.
  const said = pushed.stderr.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('To '))
  const why = said.slice(-6).join(' / ') || `exit ${pushed.code}`
  const reset = await git(['reset', '--quiet', '--hard', before], { allowFailure: true })
  const after = reset.code === 0 ? `the local commit is reset away (back at ${before.slice(0, 12)})` : `and resetting the local commit failed too (${firstLine(reset.stderr)}): run git reset --hard ${before}`
  throw new GitopsError(`${upstream.name} refused the push (${why}): nothing was pushed, ${after}; run ${command} again (it fetches first)`)
}

const firstLine = (text: string) => text.trim().split('\n')[0] ?? ''
