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
