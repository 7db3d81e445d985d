// What a host's deployment controller knows and reports, one JSON file rewritten whole after each
// check: the channel and the digest it names, what serves and since when, the last check and the last
// rollout, and the digests refused on this host with why. The controller keeps it under SF_HOME
// (targets/<name>/controller.json) and copies it into the server's own SF_HOME, where the server
// answers it on GET /api/controller and the page shows it. Pure schema and rules: no I/O but the
// file's read and write.
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

export const channelSchema = z.enum(['test', 'prod'])

const refusalSchema = z.object({
  digest: z.string(),
  at: z.string(),
  /**
   * untested: prod's channel names a digest without `tested-<hex>`; checked again each interval (one
   * HEAD). The others are a rollout that did not take, and block the digest until the channel moves.
   */
  kind: z.enum(['untested', 'pull', 'rolled-back', 'failed']),
  reason: z.string(),
  /** A failed rollout blocks its digest until the channel names another one. */
  blocking: z.boolean(),
})

export const controllerStateSchema = z.object({
  target: z.string(),
  channel: channelSchema,
  repository: z.string(),
  /** The toolkit's commit the controller runs, and its pid and start. */
  controller: z.object({ commit: z.string().nullable(), pid: z.number().int(), startedAt: z.string(), intervalMs: z.number().int() }),
  /** The digest the channel named at the last answer of the registry. */
  channelDigest: z.string().nullable(),
  serving: z.object({ digest: z.string().nullable(), commit: z.string().nullable(), since: z.string().nullable() }).nullable(),
  lastCheck: z.object({ at: z.string(), outcome: z.string(), requests: z.number().int(), cpuMs: z.number() }).nullable(),
  registry: z.object({ reachable: z.boolean(), since: z.string(), error: z.string().nullable(), nextCheckAt: z.string().nullable() }),
  rolling: z.object({ digest: z.string(), since: z.string() }).nullable(),
  lastRollout: z
    .object({ digest: z.string(), startedAt: z.string(), finishedAt: z.string(), outcome: z.enum(['upgraded', 'refused', 'rolled-back', 'failed']), message: z.string() })
    .nullable(),
  refused: z.array(refusalSchema),
  /** How many times this controller pulled an image: a digest that failed is never pulled again. */
  pulls: z.number().int(),
})

export type Channel = z.infer<typeof channelSchema>
export type Refusal = z.infer<typeof refusalSchema>
export type ControllerState = z.infer<typeof controllerStateSchema>

/** At most this many refusals are kept, newest last. */
export const refusalsKept = 20

/** Where the controller of `name` keeps its state on the host. */
export function controllerStateFile(sfHome: string, name: string): string {
  return path.join(sfHome, 'targets', name, 'controller.json')
}

/** The copy in the server's own SF_HOME that its GET /api/controller answers. */
export const servedStateFile = 'controller.json'

/** The refusal that keeps the controller from rolling `digest` now, or null. */
export function blockingRefusal(state: Pick<ControllerState, 'refused'>, digest: string): Refusal | null {
  return state.refused.find((r) => r.digest === digest && r.blocking) ?? null
}

/**
 * The refusals after the channel moved from `before` to `now`: a failed digest is tried again only once
 * the channel has named another one, so every block is lifted by a move.
 */
export function afterChannelMove(refused: Refusal[], before: string | null, now: string | null): Refusal[] {
  if (before === now || before === null) return refused
  return refused.map((r) => (r.blocking ? { ...r, blocking: false } : r))
}

/** Add a refusal: one entry per digest and kind (the newest), at most refusalsKept. */
export function withRefusal(refused: Refusal[], refusal: Refusal): Refusal[] {
  const others = refused.filter((r) => !(r.digest === refusal.digest && r.kind === refusal.kind))
  return [...others, refusal].slice(-refusalsKept)
}

export function readControllerState(file: string): ControllerState | null {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return null
  }
  try {
    const parsed = controllerStateSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** Whole, by a rename: a reader never sees half of it. Readable by the server's user (uid 1000). */
export function writeControllerState(file: string, state: ControllerState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 })
  fs.renameSync(temp, file)
}
