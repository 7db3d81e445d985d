// What container tests share: the engine gate, per-run names, the local base, logs on failure, cleanup.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { containersWithLabelsArgs, imageExistsArgs, imagesWithLabelsArgs, logsArgs, removeContainerArgs, removeContainersArgs, removeImagesArgs } from '../../lib/docker/args.ts'
import { docker, engineAnswers, type EngineAnswer } from '../../lib/docker/engine.ts'
import { createProgress } from '../../lib/progress.ts'
import { localBase as sandboxBase } from '../../lib/bench/sandbox.ts'

export const runId = randomBytes(4).toString('hex')
/** Every container and image a test run makes carries this label, so cleanup finds them all. */
export const runLabels = { 'sf.test-run': runId }

/**
 * The engine, or null after registering a test that fails (CI) or a loud skip (elsewhere): a suite
 * that needs an engine runs only when this returns one.
 */
export async function requireEngine(what: string): Promise<EngineAnswer & { ok: true } | null> {
  const engine = await engineAnswers(process.env)
  if (engine.ok) return engine
  if (process.env.CI) {
    test(`a Docker Engine answers for ${what} (CI is set, so container tests may not skip)`, () => assert.fail(engine.reason))
  } else {
    process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING ${what}: ${engine.reason}\n${'!'.repeat(78)}\n\n`)
    test(what, { skip: engine.reason }, () => {})
  }
  return null
}

/** The local base image the tests build on, so nothing tries to pull. Built once if missing, and kept. */
export function localBase(): Promise<string> {
  return sandboxBase(process.env, createProgress())
}

/** The variables that give a vega container under test its own name, image, port and folders. */
export async function vegaEnv(o: { name: string; image: string; port: number; sfHome: string; workspace: string; workspaces: string }): Promise<Record<string, string>> {
  return {
    SF_VEGA_NAME: o.name,
    SF_VEGA_IMAGE: o.image,
    SF_VEGA_PORT: String(o.port),
    SF_BASE_IMAGE: await localBase(),
    SF_HOME: o.sfHome,
    SF_WORKSPACE_DIR: o.workspace,
    SF_WORKSPACES_DIR: o.workspaces,
    // The direct mode, the spec's literal port handover; test/container/vega/front.test.ts sets haproxy.
    SF_VEGA_FRONT: 'none',
  }
}

/** Run `body`; when it fails, print the last log lines of each container first. */
export async function withLogs(containers: string[], body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (error) {
    for (const name of containers) {
      const logs = await docker(logsArgs(name, 60), { env: process.env, allowFailure: true })
      process.stderr.write(`\n--- last log lines of ${name} ---\n${logs.stdout}${logs.stderr}\n`)
    }
    throw error
  }
}

export async function removeContainers(names: string[]): Promise<void> {
  for (const name of names) await docker(removeContainerArgs(name, { force: true }), { env: process.env, allowFailure: true })
}

export async function removeImages(tags: string[]): Promise<void> {
  await docker(removeImagesArgs(tags), { env: process.env, allowFailure: true })
}

export async function containerNames(filter: string): Promise<string[]> {
  const out = await docker(['container', 'ls', '--all', '--filter', filter, '--format', '{{.Names}}'], { env: process.env })
  return out.stdout.split('\n').filter(Boolean)
}

/** Every container and image with this run's label, and `tags`, even when a build failed half way. */
export async function removeRunArtifacts(tags: string[]): Promise<void> {
  const env = process.env
  const problems: string[] = []
  const ids = async (args: string[]) => (await docker(args, { env })).stdout.split('\n').filter(Boolean)
  try {
    const leftover = await ids(containersWithLabelsArgs(runLabels))
    if (leftover.length) await docker(removeContainersArgs(leftover), { env })
  } catch (error) {
    problems.push(`containers: ${(error as Error).message}`)
  }
  try {
    const images = await ids(imagesWithLabelsArgs(runLabels))
    // The id and the tag may name one image: the second removal then fails, which is fine.
    await docker(removeImagesArgs([...images, ...tags]), { env, allowFailure: true })
    const still = await ids(imagesWithLabelsArgs(runLabels))
    for (const tag of tags) if ((await docker(imageExistsArgs(tag), { env, allowFailure: true })).code === 0) still.push(tag)
    if (still.length) problems.push(`images still there: ${still.join(', ')}`)
  } catch (error) {
    problems.push(`images: ${(error as Error).message}`)
  }
  if (problems.length) throw new Error(`could not remove what run ${runId} made (remove by hand: label sf.test-run=${runId}):\n${problems.join('\n')}`)
}
