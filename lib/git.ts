// Every git call goes through here.
import { BuildError } from './errors.ts'
import { run } from './run.ts'

export interface GitState {
  commit: string
  dirty: boolean
}

/**
 * The checkout may belong to another user than this process (a server in a container reads the
 * host's checkout as root): git refuses such a repo unless it is named safe, so every call names it.
 */
export async function gitState(cwd: string): Promise<GitState> {
  const safe = ['-c', `safe.directory=${cwd}`]
  const head = await run('git', [...safe, 'rev-parse', '--verify', 'HEAD'], { cwd, allowFailure: true })
  if (head.code !== 0) {
    throw new BuildError(
      `${cwd} has no git commit (${head.stderr.trim().split('\n')[0]}): the release manifest names the commit it was built from; build from a git clone with at least one commit`,
    )
  }
  const status = await run('git', [...safe, 'status', '--porcelain', '--untracked-files=normal'], { cwd })
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== '' }
}

/** Who the toolkit commits as: in a scratch clone a name and an address that reach nobody; in a GitOps checkout SF_GIT_AUTHOR_NAME and SF_GIT_AUTHOR_EMAIL. */
export interface GitIdentity {
  name: string
  email: string
}

/** Clone `from`'s HEAD into `to`, a folder the caller owns and removes. */
export async function cloneCheckout(from: string, to: string): Promise<void> {
  await run('git', ['clone', '--quiet', from, to])
}

/** Commit every change to tracked files in `cwd`; returns the new commit. */
export async function commitAll(cwd: string, message: string, by: GitIdentity): Promise<string> {
  await run('git', [...identityArgs(by), 'commit', '--quiet', '--all', '--message', message], { cwd })
  return (await run('git', ['rev-parse', 'HEAD'], { cwd })).stdout.trim()
}

/** Undo HEAD with a new commit; returns it. */
export async function revertHead(cwd: string, by: GitIdentity): Promise<string> {
  await run('git', [...identityArgs(by), 'revert', '--quiet', '--no-edit', 'HEAD'], { cwd })
  return (await run('git', ['rev-parse', 'HEAD'], { cwd })).stdout.trim()
}

/** The flags that make `by` the author and committer of one git call, whatever the repository's config says. */
export const identityArgs = (by: GitIdentity) => ['-c', `user.name=${by.name}`, '-c', `user.email=${by.email}`]
