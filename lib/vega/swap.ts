// Replacing the prod container. The old prod is drained, then kept aside as <name>-previous until the
// new one passes its probes, so that a failed new prod is rolled back by restarting exactly the old
// container.
import { removeContainerArgs, renameArgs, runDetachedArgs, startArgs, type ContainerSpec } from '../docker/args.ts'
import { drainContainer, showLogs } from '../docker/drain.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { RollbackError } from '../front/errors.ts'
import { probeServer, type Expected } from '../front/probes.ts'
import { asideName } from '../front/site.ts'
import type { Progress } from '../progress.ts'

export interface SwapOptions {
  env: Env
  progress: Progress
  spec: ContainerSpec
  expected: Expected
  probeUrl: string
  stopTimeout: number
  probeDeadlineMs: number
}

export type SwapOutcome = { swapped: true } | { swapped: false; error: string; rollback: string }

/** Drain prod, start `spec` as prod and probe it; on failure restore the old prod. */
export async function swapProd(o: SwapOptions): Promise<SwapOutcome> {
  const { env, progress, spec } = o
  const old = await inspectContainer(spec.name, env)
  if (old) {
    if (old.running) await drainContainer(spec.name, o.stopTimeout, env, progress)
    if (await inspectContainer(spec.name, env)) await docker(renameArgs(spec.name, asideName(spec.name)), { env })
  }
  let done = progress.phase(`start ${spec.name}`)
  const started = await docker(runDetachedArgs(spec), { env, allowFailure: true })
  done()
  let error = started.code === 0 ? null : `docker run failed: ${started.stderr.trim()}`
  if (!error) {
    done = progress.phase(`probe ${spec.name}`)
    try {
      await probeServer(o.probeUrl, o.expected, { deadlineMs: o.probeDeadlineMs, container: spec.name, env })
      done()
    } catch (e) {
      error = (e as Error).message
    }
  }
  if (!error) {
    if (old) {
      done = progress.phase(`remove the old ${spec.name}`)
      await docker(removeContainerArgs(asideName(spec.name), { force: true }), { env, allowFailure: true })
      done()
    }
    return { swapped: true }
  }
  progress.note(`new ${spec.name} failed: ${error}`)
  await showLogs(spec.name, env, progress)
  return { swapped: false, error, rollback: await restoreAside(spec.name, o) }
}

/** Put the container kept aside back as prod and probe it. */
async function restoreAside(name: string, o: SwapOptions): Promise<string> {
  const { env, progress } = o
  const done = progress.phase(`roll back ${name}`)
  await docker(removeContainerArgs(name, { force: true }), { env, allowFailure: true })
  const aside = await inspectContainer(asideName(name), env)
  if (!aside) {
    done('nothing to roll back to')
    throw new RollbackError(`rollback failed: the new ${name} failed and there is no previous container to restore, so nothing serves; run npm run docker:vega:rollback to start the previous release`)
  }
  try {
    await docker(renameArgs(asideName(name), name), { env })
    await docker(startArgs(name), { env })
  } catch (e) {
    throw new RollbackError(`rollback failed: could not restart the old ${name} (${(e as Error).message}); nothing serves: run npm run docker:vega:rollback`)
  }
  try {
    await probeServer(o.probeUrl, null, { deadlineMs: o.probeDeadlineMs, container: name, env })
  } catch (e) {
    throw new RollbackError(`rollback failed: the old ${name} was restarted but does not pass its probes (${(e as Error).message}); see docker logs ${name}`)
  }
  done(`old ${name} serves again`)
  return `restarted the old ${name}, which serves again`
}
