// Ending a server the way it expects: `docker stop --time` sends SIGTERM, the server drains its work and
// exits (the stop returns then), or is killed at the timeout. And its last log lines, for when it failed.
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'
import { logsArgs, removeContainerArgs, stopArgs } from './args.ts'
import { docker } from './engine.ts'
import { inspectContainer } from './inspect.ts'

/** Drain `name` with docker stop; when the stop itself fails, the container is removed by force. */
export async function drainContainer(name: string, stopTimeout: number, env: Env, progress: Progress): Promise<void> {
  const done = progress.phase(`drain ${name} (docker stop --time ${stopTimeout})`)
  const stopped = await docker(stopArgs(name, stopTimeout), { env, allowFailure: true })
  const after = await inspectContainer(name, env)
  done(after ? `exit code ${after.exitCode}` : 'gone')
  if (stopped.code !== 0) {
    progress.note(`docker stop failed (${stopped.stderr.trim()}): removing ${name} by force`)
    await docker(removeContainerArgs(name, { force: true }), { env })
  }
}

export async function showLogs(name: string, env: Env, progress: Progress, lines = 30): Promise<void> {
  const logs = await docker(logsArgs(name, lines), { env, allowFailure: true })
  progress.note(`last log lines of ${name}:`)
  for (const line of (logs.stdout + logs.stderr).trimEnd().split('\n')) progress.note(`  ${line}`)
}
