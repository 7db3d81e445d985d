// The process tests' own housekeeping: a test file that starts a server leaves no folder in the temp
// dir behind, whether its tests pass or fail. Run as a child, as the test runner runs each file.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { repoRoot } from '../../../lib/paths.ts'

const child = `
import { startServer, tempDir } from './test/support/server.ts'
const server = await startServer()
const scratch = tempDir('leftover')
console.log(JSON.stringify({ home: server.sfHome, scratch }))
server.kill()
await server.exited
if (process.env.FAIL) throw new Error('a failing test')
`

for (const fails of [false, true]) {
  test(`a test file that starts a server and makes a temp dir removes both when it exits${fails ? ', also when it fails' : ''}`, () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
      cwd: repoRoot,
      env: { ...process.env, ...(fails && { FAIL: '1' }) },
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(result.status, fails ? 1 : 0, result.stderr)
    const made = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { home: string; scratch: string }
    assert.equal(fs.existsSync(path.dirname(made.home)), false, `${path.dirname(made.home)} is left behind`)
    assert.equal(fs.existsSync(made.scratch), false, `${made.scratch} is left behind`)
  })
}
