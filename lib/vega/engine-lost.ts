// A Docker Engine that stops answering in the middle of a run: neither the candidate's fault nor the
// new build's. Said as such, with what the run had changed by then and what the next run does.
import { engineAnswers } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { CommandError, DockerError } from '../errors.ts'
import { candidateName } from '../front/site.ts'

export class EngineLostError extends DockerError {
  override name = 'EngineLostError'
}

/** What the docker CLI prints when it cannot reach the engine. */
export function engineUnreachable(text: string): boolean {
  return /Cannot connect to the Docker daemon|error during connect/i.test(text)
}

/**
 * The error to report for a run that failed in `phase`: an EngineLostError when docker said it could
 * not reach the engine or the engine does not answer now; null when the engine is not to blame.
 */
export async function engineLost(error: unknown, o: { env: Env; name: string; phase: string | null; reached: readonly string[] }): Promise<EngineLostError | null> {
  if (error instanceof EngineLostError) return error
  const text = error instanceof CommandError ? `${error.message}\n${error.output}` : error instanceof Error ? error.message : String(error)
  if (!engineUnreachable(text) && (await engineAnswers(o.env)).ok) return null
  return new EngineLostError(engineLostMessage(o.name, o.phase, o.reached))
}

/** What a run that lost the engine in `phase` had changed, having reached the phases `reached` (in order), and what the next run does. */
export function engineLostMessage(name: string, phase: string | null, reached: readonly string[]): string {
  const during = `the Docker Engine stopped answering during ${phase ?? 'the run'}`
  const candidate = candidateName(name)
  const next = 'once the engine answers again (npm run docker:vega:status shows what is left), the next npm run docker:vega:upgrade'
  const started = reached.lastIndexOf(`start ${candidate}`)
  if (started < 0) return `${during}, before anything of ${name}'s was changed; ${next} starts over`
  // Only what came after the candidate's start counts: converge may have drained a leftover before.
  const changedProd = reached.slice(started).some((p) => p.startsWith('switch the front') || p.startsWith(`drain ${name} (`) || p === `start ${name}`)
  if (changedProd) {
    return `${during}, after ${name} had begun to change over to the new build: the old or the new server may serve, or neither if the engine stopped them; ${next} keeps the one server that passes its probes, removes the rest, and upgrades`
  }
  return `${during}: ${name} was not touched (it serves on if the engine still runs it), and ${candidate} was started and may be left behind; ${next} removes it and starts over`
}
