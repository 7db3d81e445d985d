// Rolling a kubernetes target: one change of the pod template (image by digest and SF_IMAGE_DIGEST),
// wait for the rollout, probe through the target's URL, and undo the change when either fails.
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'
import { run } from '../run.ts'
import { RolloutError } from './errors.ts'
import { currentImageArgs, rolloutStatusArgs, rolloutUndoArgs, setImageArgs } from './kubectl.ts'
import { probeRelease, type ExpectedRelease } from './probes.ts'
import type { KubectlTarget } from './targets.ts'

export interface RollOptions {
  env: Env
  progress: Progress
  probeTimeoutMs: number
}

export async function rollKubernetes(
  target: KubectlTarget,
  image: { ref: string; expected: ExpectedRelease },
  options: RollOptions,
): Promise<void> {
  const { env, progress } = options
  const kubectl = (args: string[]) => run('kubectl', args, { env, onLine: (line) => line.trim() && progress.note(line) })
  const where = `deployment/${target.deployment} in ${target.context}/${target.namespace}`

  let done = progress.phase(`set the image of ${where}`)
  const before = (await run('kubectl', currentImageArgs(target), { env })).stdout.trim()
  await kubectl(setImageArgs(target, { ref: image.ref, digest: image.expected.digest }))
  done(`${before || '(none)'} → ${image.ref}`)
  try {
    done = progress.phase(`wait for the rollout (up to ${target.rolloutTimeoutSeconds} s)`)
    await kubectl(rolloutStatusArgs(target))
    done()
    done = progress.phase(`probe ${target.url}`)
    await probeRelease(target.url, image.expected, options.probeTimeoutMs)
    done(`commit ${image.expected.commit.slice(0, 12)}, build ${image.expected.buildId}`)
  } catch (failure) {
    done = progress.phase(`kubectl rollout undo ${where}`)
    const undo = await run('kubectl', rolloutUndoArgs(target), { env, allowFailure: true })
    done(undo.code === 0 ? 'the previous pod template is back' : `failed: ${undo.stderr.trim()}`)
    const after = undo.code === 0 ? 'rolled back to the previous pod template' : `and the undo failed too (${undo.stderr.trim()}): run kubectl ${rolloutUndoArgs(target).join(' ')}`
    throw new RolloutError(`${where} did not take ${image.ref}: ${(failure as Error).message}\n${after}`, undo.code === 0)
  }
}
