// The baseline an upgrade is measured against: replace prod the naive way. Stop it (the same drain
// timeout), remove it, run the same container again from the image it ran, wait for /api/ready.
// No build, no candidate, no version probes, no rollback.
import { removeContainerArgs, runDetachedArgs, stopArgs, type ContainerSpec } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { waitFor } from '../probe.ts'
import type { Progress } from '../progress.ts'
import { vegaContainer } from '../vega/container.ts'
import { preflightVega } from '../vega/preflight.ts'
import { vegaInputs, type VegaContext } from '../vega/context.ts'
import { BenchError } from './errors.ts'

/** Prod's container exactly as the vega profile defines it, on the image id it runs now. */
export async function currentProdSpec(ctx: VegaContext): Promise<ContainerSpec> {
  const preflight = await preflightVega(ctx.config, ctx.env)
  const prod = preflight.existing
  if (!prod?.running) throw new BenchError(`${ctx.config.SF_VEGA_NAME} does not run, so there is nothing to replace: the upgrade before the baseline must have failed`)
  const labels = prod.labels
  return vegaContainer({
    ...vegaInputs(ctx, preflight),
    image: prod.imageId,
    buildId: labels['sf.build-id'] ?? 'unknown',
    commit: labels['sf.commit'] ?? 'unknown',
  })
}

export interface NaiveOptions {
  env: Env
  progress: Progress
  /** Origin of prod on the host. */
  url: string
  readyDeadlineMs: number
}

/** Each step is a phase of `progress`; the stop is named like the upgrade's drain. */
export async function naiveReplace(spec: ContainerSpec, o: NaiveOptions): Promise<void> {
  const { env, progress } = o
  let done = progress.phase(`drain ${spec.name} (docker stop --time ${spec.stopTimeout})`)
  await docker(stopArgs(spec.name, spec.stopTimeout), { env })
  done()
  done = progress.phase(`remove ${spec.name}`)
  await docker(removeContainerArgs(spec.name), { env })
  done()
  done = progress.phase(`start ${spec.name}`)
  await docker(runDetachedArgs(spec), { env })
  done()
  done = progress.phase(`wait for ${o.url}/api/ready`)
  const ready = await waitFor(`${o.url}/api/ready`, { deadlineMs: o.readyDeadlineMs })
  done(`ready after ${ready.waitedMs} ms`)
}
