// The import rule the README's Layout section states: lib/'s folders are layers, and a module imports
// only from its own folder or a lower layer. The shared modules directly in lib/ are the lowest.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { repoRoot } from '../../lib/paths.ts'

/** Each layer and the rank it has; a module may import from a lower rank or its own folder. */
const ranks: Record<string, number> = { shared: 0, release: 1, server: 2, docker: 2, front: 3, vega: 4, authority: 5, web: 5, controller: 6, bench: 7 }

/** The layer of a file under the repo root, or null for what the rule does not cover (scripts, tests). */
function layerOf(file: string): string | null {
  const [top, second, third] = path.relative(repoRoot, file).split(path.sep)
  if (top === 'web') return 'web'
  if (top !== 'lib' || !second) return null
  return third === undefined ? 'shared' : second
}

/** Every relative import of a TypeScript source, resolved to a path. */
function importsOf(file: string, text: string): string[] {
  return [...text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"?]+)/g)].map((m) => path.resolve(path.dirname(file), m[1]!))
}

function upwardImports(files: string[], read = (file: string) => fs.readFileSync(file, 'utf8')): string[] {
  const problems: string[] = []
  for (const file of files) {
    const from = layerOf(file)
    if (!from) continue
    for (const target of importsOf(file, read(file))) {
      const to = layerOf(target)
      if (!to || to === from) continue
      const allowed = (ranks[to] ?? Infinity) < (ranks[from] ?? -1)
      if (!allowed) problems.push(`${path.relative(repoRoot, file)} (${from}) imports ${path.relative(repoRoot, target)} (${to})`)
    }
  }
  return problems
}

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.split(path.sep).some((part) => part === 'node_modules' || part.startsWith('.')))
    .map((f) => path.join(dir, f))
}

describe('layout', () => {
  test('no module in lib/ or web/ imports from a higher layer or a sibling layer', () => {
    const files = [...sources(path.join(repoRoot, 'lib')), ...sources(path.join(repoRoot, 'web'))]
    assert.ok(files.length > 40, `found only ${files.length} sources`)
    assert.deepEqual(upwardImports(files), [])
  })

  test('no vega command imports another command', () => {
    const commands = ['up', 'upgrade', 'rollback', 'status'].map((c) => path.join(repoRoot, 'lib', 'vega', `${c}.ts`))
    const crossing = commands.flatMap((file) =>
      importsOf(file, fs.readFileSync(file, 'utf8'))
        .filter((target) => commands.includes(target))
        .map((target) => `${path.basename(file)} imports ${path.basename(target)}`),
    )
    assert.deepEqual(crossing, [])
  })

  test('the check sees an upward import, a sibling one, a dynamic one and one from web/', () => {
    const at = (p: string) => path.join(repoRoot, p)
    const sources: Record<string, string> = {
      [at('lib/release/a.ts')]: "import { vegaUp } from '../vega/up.ts'\nimport { loadEnv } from '../env.ts'\n",
      [at('lib/docker/b.ts')]: "const drain = await import('../server/drain.ts')\n",
      [at('lib/vega/c.ts')]: "import { docker } from '../docker/engine.ts'\nimport { lock } from './lock.ts'\n",
      [at('web/app/d.ts')]: "import { startLoad } from '../../lib/bench/load.ts'\nimport { drain } from '../../lib/server/drain.ts'\n",
    }
    assert.deepEqual(upwardImports(Object.keys(sources), (f) => sources[f]!), [
      'lib/release/a.ts (release) imports lib/vega/up.ts (vega)',
      'lib/docker/b.ts (docker) imports lib/server/drain.ts (server)',
      'web/app/d.ts (web) imports lib/bench/load.ts (bench)',
    ])
  })
})
