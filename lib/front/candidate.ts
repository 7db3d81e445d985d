// The candidate: a new release started beside prod and proven by its own probes before anything of
// prod's is touched. If it fails, its last log lines are shown and it is removed.
import { removeContainerArgs, runDetachedArgs, type ContainerSpec } from '../docker/args.ts'
import { showLogs } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { UpgradeError } from './errors.ts'
import { probeServer, type Expected } from './probes.ts'
import type { FrontSite } from './site.ts'

/** Start the candidate and probe it; on failure show its last log lines, remove it and stop here. */
export async function proveCandidate(site: Pick<FrontSite, 'name' | 'env' | 'progress'>, candidate: ContainerSpec, expected: Expected, url: string, deadlineMs: number): Promise<void> {
  const { env, progress } = site
  let done = progress.phase(`start ${candidate.name}`)
  await docker(runDetachedArgs(candidate), { env })
  done()
  done = progress.phase(`probe ${candidate.name}`)
  try {
    await probeServer(url, expected, { deadlineMs, container: candidate.name, env })
  } catch (error) {
    await showLogs(candidate.name, env, progress)
    await docker(removeContainerArgs(candidate.name, { force: true }), { env, allowFailure: true })
    throw new UpgradeError(`the candidate failed, so ${site.name} was not touched: ${(error as Error).message}`, 'candidate-failed')
  }
  done()
}
