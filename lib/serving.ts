import type { Serving } from './vega-up.ts'

/** One line for people: where the server answers and which build it serves. */
export function describeServing(s: Serving): string {
  const m = s.manifest
  return `serving ${s.url} from container ${s.container}: ${m.name} ${m.version} commit ${m.git.commit.slice(0, 12)}${m.git.dirty ? ' (dirty)' : ''}, build ${m.webHost.buildId}, built ${m.builtAt}`
}
