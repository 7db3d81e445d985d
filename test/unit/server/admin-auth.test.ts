import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { checkAdmin, resolveAdminToken, type AdminToken } from '../../../lib/server/admin-auth.ts'

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-admin-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('resolveAdminToken', () => {
  test('prefers the token from the environment and writes no file', (t) => {
    const sfHome = path.join(tempDir(t), 'sf-home')
    const resolved = resolveAdminToken({ envToken: 'from-the-environment-123', sfHome })
    assert.deepEqual(resolved, { token: 'from-the-environment-123', source: 'SF_ADMIN_TOKEN' })
    assert.equal(fs.existsSync(sfHome), false)
  })

  test('creates SF_HOME/admin-token, readable by the owner only, when no token is set', (t) => {
    const sfHome = path.join(tempDir(t), 'nested', 'sf-home')
    const resolved = resolveAdminToken({ sfHome })
    const file = path.join(sfHome, 'admin-token')
    assert.equal(resolved.token, fs.readFileSync(file, 'utf8').trim())
    assert.deepEqual(resolved, { token: resolved.token, source: 'file', file })
    assert.match(resolved.token ?? '', /^[0-9a-f]{64}$/)
    assert.equal(fs.statSync(file).mode & 0o777, 0o600)
    assert.equal(fs.statSync(sfHome).mode & 0o777, 0o700)
  })

  test('reuses the token file on a later call', (t) => {
    const sfHome = tempDir(t)
    const first = resolveAdminToken({ sfHome })
    const second = resolveAdminToken({ sfHome })
    assert.notEqual(first.token, null)
    assert.equal(second.token, first.token)
  })

  test('uses a token file written by hand', (t) => {
    const sfHome = tempDir(t)
    fs.writeFileSync(path.join(sfHome, 'admin-token'), '  hand-written-token-0123 \n')
    assert.equal(resolveAdminToken({ sfHome }).token, 'hand-written-token-0123')
  })

  test('gives no token, and says how to mend it, when the token file is empty', (t) => {
    const sfHome = tempDir(t)
    fs.writeFileSync(path.join(sfHome, 'admin-token'), '\n')
    const resolved = resolveAdminToken({ sfHome })
    assert.equal(resolved.token, null)
    assert.ok('reason' in resolved)
    assert.match(resolved.reason, /admin-token is empty: delete it to have a token made at the next start/)
  })

  test('gives no token, with the reason, when SF_HOME cannot be created', (t) => {
    const blocker = path.join(tempDir(t), 'a-file')
    fs.writeFileSync(blocker, '')
    const resolved = resolveAdminToken({ sfHome: path.join(blocker, 'sf-home') })
    assert.equal(resolved.token, null)
    assert.ok('reason' in resolved)
    assert.ok(resolved.reason.startsWith(`${path.join(blocker, 'sf-home', 'admin-token')} could not be read or created (`), resolved.reason)
    assert.match(resolved.reason, /ENOTDIR/)
  })
})

describe('checkAdmin', () => {
  const configured: AdminToken = { token: 'the-right-token-0123456789', source: 'SF_ADMIN_TOKEN' }

  test('refuses with 403 and says how to enable admin when no token is configured', () => {
    const result = checkAdmin('Bearer anything', { token: null, reason: '/x/admin-token could not be read or created (EACCES)' })
    assert.ok(!result.ok)
    assert.equal(result.status, 403)
    assert.match(result.error, /\(\/x\/admin-token could not be read or created \(EACCES\)\)/)
    assert.match(result.error, /Set SF_ADMIN_TOKEN .* or make SF_HOME writable/)
  })

  const refused: [string, string | null][] = [
    ['no Authorization header', null],
    ['an empty header', ''],
    ['a wrong token', 'Bearer the-wrong-token-0123456789'],
    ['a prefix of the token', 'Bearer the-right-token'],
    ['the token without Bearer', 'the-right-token-0123456789'],
    ['another scheme', 'Basic the-right-token-0123456789'],
  ]
  for (const [what, header] of refused) {
    test(`refuses ${what} with 401`, () => {
      const result = checkAdmin(header, configured)
      assert.ok(!result.ok)
      assert.equal(result.status, 401)
      assert.match(result.error, /Authorization: Bearer <token>/)
    })
  }

  test('accepts the right bearer token', () => {
    assert.deepEqual(checkAdmin('Bearer the-right-token-0123456789', configured), { ok: true })
    assert.deepEqual(checkAdmin('bearer  the-right-token-0123456789 ', configured), { ok: true })
  })
})

describe('resolveAdminToken, the token file held to the SF_ADMIN_TOKEN rules', () => {
  const write = (sfHome: string, text: string, mode = 0o600) => {
    const file = path.join(sfHome, 'admin-token')
    fs.writeFileSync(file, text, { mode })
    fs.chmodSync(file, mode)
    return file
  }

  for (const [what, text] of [['one character', 'a\n'], ['a space inside', 'abcdefgh ijklmnopqrstu\n']] as const) {
    test(`refuses a token file with ${what}, saying the rule and the fix but not the token`, (t) => {
      const sfHome = tempDir(t)
      const file = write(sfHome, text)
      const resolved = resolveAdminToken({ sfHome })
      assert.equal(resolved.token, null)
      assert.ok('reason' in resolved)
      assert.match(resolved.reason, new RegExp(`${file} holds a token of ${text.trim().length} characters: it must be at least 16 characters with no spaces .*write a new one .*or delete the file`))
      assert.ok(!resolved.reason.includes(text.trim()) || text.trim().length < 2, 'the token is not shown')
      assert.equal(checkAdmin(`Bearer ${text.trim()}`, resolved).ok, false)
    })
  }

  test('refuses a token file that is a symbolic link, with the fix', (t) => {
    const sfHome = tempDir(t)
    const elsewhere = path.join(tempDir(t), 'other-file')
    fs.writeFileSync(elsewhere, 'a-token-somewhere-else-0123\n', { mode: 0o600 })
    fs.symlinkSync(elsewhere, path.join(sfHome, 'admin-token'))
    const resolved = resolveAdminToken({ sfHome })
    assert.equal(resolved.token, null)
    assert.ok('reason' in resolved)
    assert.match(resolved.reason, /admin-token is a symbolic link: replace it with a file of its own \(mode 0600\)/)
  })

  test('uses a token file other users can read, with a warning that gives the fix', (t) => {
    const sfHome = tempDir(t)
    const file = write(sfHome, 'readable-by-all-0123456789\n', 0o644)
    const resolved = resolveAdminToken({ sfHome })
    assert.equal(resolved.token, 'readable-by-all-0123456789')
    assert.ok('warning' in resolved)
    assert.equal(resolved.warning, `${file} has mode 0644: other users of this host can read or change the admin token; run chmod 600 ${file}`)
  })
})
