// npm test [-- unit|process ...]: run the test tiers with node:test. Process tests run against the
// real build, so the build scripts run first.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { runEntry } from '../lib/cli.ts'
import { repoRoot } from '../lib/paths.ts'

const tiers = ['unit', 'process'] as const
type Tier = (typeof tiers)[number]

await runEntry(async () => {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const unknown = asked.filter((a) => !tiers.includes(a as Tier))
  if (unknown.length) throw new Error(`unknown test tier ${unknown.join(', ')}: choose from ${tiers.join(', ')}`)
  const chosen = (asked.length ? asked : tiers) as Tier[]
  for (const tier of chosen) {
    if (tier === 'process') {
      for (const script of ['build:core', 'build:web-host', 'write-manifest']) {
        const built = spawnSync('npm', ['run', '--silent', script], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] })
        if (built.status !== 0) return 1
      }
    }
    const dir = path.join(repoRoot, 'test', tier)
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(dir, f))
    process.stderr.write(`\n== ${tier} tests (${files.length} files) ==\n`)
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { cwd: repoRoot, stdio: 'inherit' })
    if (result.status !== 0) return result.status ?? 1
  }
  return 0
})
