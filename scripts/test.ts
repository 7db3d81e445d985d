// npm test [-- unit|process|container ...]: run the test tiers with node:test. Process and container
// tests run against the real build, so the build scripts run first. Container tests need a Docker
// Engine: without one they are skipped, loudly, except under CI, where that is a failure.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { runEntry } from '../lib/cli.ts'
import { engineAnswers } from '../lib/docker/engine.ts'
import { ConfigError } from '../lib/errors.ts'
import { repoRoot } from '../lib/paths.ts'
import { createProgress } from '../lib/progress.ts'
import { ensureWebDependencies } from '../lib/server/start.ts'

const tiers = ['unit', 'process', 'container'] as const
type Tier = (typeof tiers)[number]

await runEntry(async () => {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const unknown = asked.filter((a) => !tiers.includes(a as Tier))
  if (unknown.length) throw new ConfigError(`unknown test tier ${unknown.join(', ')}: choose from ${tiers.join(', ')}`)
  const chosen = (asked.length ? asked : tiers) as Tier[]
  let built = false
  for (const tier of chosen) {
    if (tier === 'container') {
      const engine = await engineAnswers(process.env)
      if (!engine.ok) {
        if (process.env.CI) throw new Error(`container tests need a Docker Engine under CI: ${engine.reason}`)
        process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPED the container tests: ${engine.reason}\n${'!'.repeat(78)}\n`)
        continue
      }
    }
    if (tier !== 'unit' && !built) {
      await ensureWebDependencies(repoRoot, process.env, createProgress())
      for (const script of ['build:core', 'build:web-host', 'write-manifest']) {
        const result = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] })
        if (result.status !== 0) return 1
      }
      built = true
    }
    const dir = path.join(repoRoot, 'test', tier)
    // Each tier mirrors lib/'s folders, so a module's test is found from its path.
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(dir, f))
    process.stderr.write(`\n== ${tier} tests (${files.length} files) ==\n`)
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { cwd: repoRoot, stdio: 'inherit' })
    if (result.status !== 0) return result.status ?? 1
  }
  return 0
})
