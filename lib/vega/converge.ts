// Putting things right after a run that was killed: a leftover candidate goes, and a prod that the run
// stopped or set aside comes back, unless the new one it started passes its probes.
import { removeContainerArgs, renameArgs, startArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import { inspectContainer } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { convergeFront } from '../front/converge.ts'
import { startStopped } from '../front/ensure.ts'
import { probeServer } from '../front/probes.ts'
import { asideName, candidateName } from '../front/site.ts'
import type { VegaContext } from './context.ts'
import { frontSite } from './front-site.ts'

/**
 * What upgrade and rollback put right before they change anything: behind the front, a front or server
 * stopped by hand, then what a killed run left; in direct mode, what a killed run left.
 */
export async function convergeVega(ctx: VegaContext, probeUrl: string, probeDeadlineMs: number): Promise<string[]> {
  if (ctx.config.SF_VEGA_FRONT !== 'haproxy') return converge(ctx.config.SF_VEGA_NAME, ctx.env, probeUrl, probeDeadlineMs)
  const site = frontSite(ctx)
  return [...(await startStopped(site)), ...(await convergeFront(site, probeDeadlineMs))]
}

/** After a killed run: remove a leftover candidate, and bring the kept-aside or stopped prod back. Returns what it did, for the caller's phase line. */
export async function converge(name: string, env: Env, probeUrl: string, probeDeadlineMs: number): Promise<string[]> {
  const notes: string[] = []
  const candidate = await inspectContainer(candidateName(name), env)
  if (candidate) {
    await docker(removeContainerArgs(candidate.name, { force: true }), { env })
    notes.push(`removed the leftover ${candidate.name}`)
  }
  const prod = await inspectContainer(name, env)
  const aside = await inspectContainer(asideName(name), env)
  // A running prod beside a set-aside one was started by a killed run: keep it only if it passes the
  // probes for the build it says it serves; otherwise the set-aside one comes back.
  const proven =
    aside && prod?.running
      ? await probeServer(probeUrl, { commit: prod.labels['sf.commit'] ?? '', buildId: prod.labels['sf.build-id'] ?? '' }, { deadlineMs: probeDeadlineMs, container: name, env }).then(
          () => true,
          () => false,
        )
      : false
  if (aside && proven) {
    await docker(removeContainerArgs(aside.name, { force: true }), { env })
    notes.push(`kept ${name}, which passes its probes, and removed the leftover ${aside.name}`)
  } else if (aside) {
    if (prod) await docker(removeContainerArgs(name, { force: true }), { env })
    await docker(renameArgs(aside.name, name), { env })
    await docker(startArgs(name), { env })
    notes.push(`restored ${name} from ${aside.name}, which a killed run had set aside${prod?.running ? ` (the ${name} it had started failed its probes)` : ''}`)
  } else if (prod && !prod.running) {
    await docker(startArgs(name), { env })
    notes.push(`restarted ${name}, which a killed run had stopped`)
  }
  if (notes.some((n) => n.startsWith('rest'))) await probeServer(probeUrl, null, { deadlineMs: probeDeadlineMs, container: name, env })
  return notes
}
