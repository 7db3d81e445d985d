// A benchmark's own prod: a sandbox (front or direct mode) brought up as npm run docker:vega:up does,
// from the checkout or from the sandbox's clone of it, handed to the body, and removed afterwards,
// also when the body fails or the run is interrupted.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'
import { vegaContext, type VegaContext } from '../vega/context.ts'
import { frontName } from '../front/definition.ts'
import { vegaUp } from '../vega/up.ts'
import { BenchError } from './errors.ts'
import type { RunTarget } from './measure.ts'
import { createSandbox, type Sandbox, type SandboxMode } from './sandbox.ts'

export interface ProdOptions {
  root: string
  env: Env
  progress: Progress
  /** Interrupts the run: what it made is removed at once, and again when the step under way ends. */
  signal?: AbortSignal
  /** Build from a clone of `root` in the sandbox (Prod.sandbox.checkout), so the body can commit releases there. */
  scratchCheckout?: boolean
}

export interface Prod {
  sandbox: Sandbox
  ctx: VegaContext
  target: RunTarget
}

export async function withProd<T>(o: ProdOptions, mode: SandboxMode, body: (prod: Prod) => Promise<T>): Promise<T> {
  o.signal?.throwIfAborted()
  const sandbox = await createSandbox(o.env, o.progress, mode, o.scratchCheckout ? o.root : null)
  // Removing prod at once makes most steps under way fail fast; the finally removes what they made after.
  const interrupt = () => void sandbox.cleanup()
  o.signal?.addEventListener('abort', interrupt, { once: true })
  try {
    o.signal?.throwIfAborted()
    const ctx = vegaContext(sandbox.checkout?.dir ?? o.root, sandbox.env, o.progress)
    await vegaUp(ctx)
    o.signal?.throwIfAborted()
    return await body({ sandbox, ctx, target: { url: sandbox.url, name: sandbox.name, token: readAdminToken(sandbox.sfHome) } })
  } finally {
    o.signal?.removeEventListener('abort', interrupt)
    const what = mode === 'front' ? `${sandbox.name}, ${frontName(sandbox.name)}, its network` : sandbox.name
    const done = o.progress.phase(`remove ${what}, the candidate, images and folders`)
    await sandbox.cleanup()
    done()
  }
}

function readAdminToken(sfHome: string): string {
  const file = path.join(sfHome, 'admin-token')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (error) {
    throw new BenchError(`cannot read the admin token the server writes on first start (${(error as Error).message}): the slow requests to /api/hold need it`)
  }
}
