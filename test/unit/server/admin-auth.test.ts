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

  test('refuses with 403 and says how to enable admin when no token is configured, naming no path', () => {
    const result = checkAdmin('Bearer anything', { token: null, reason: '/x/admin-token could not be read or created (EACCES)' })
    assert.ok(!result.ok)
    assert.equal(result.status, 403)
    assert.ok(!result.error.includes('/x/'), result.error)
    assert.match(result.error, /the server log says why/)
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
    assert.equal(resolved.warning, `${file} has mode 0644: other users of this host can read the admin token; run chmod 600 ${file}`)
  })
})

describe('resolveAdminToken, an SF_HOME or token file another user controls', () => {
  const reasonOf = (resolved: AdminToken) => {
    assert.equal(resolved.token, null, 'the token must be refused')
    assert.ok('reason' in resolved)
    return resolved.reason
  }
  const token = 'planted-by-someone-else-0123\n'

  test('refuses a token file the server\'s user does not own, as ssh does, even when its mode is 0600', (t) => {
    const sfHome = tempDir(t)
    const file = path.join(sfHome, 'admin-token')
    fs.writeFileSync(file, token, { mode: 0o600 })
    fs.chownSync(file, 12345, 12345)
    const resolved = resolveAdminToken({ sfHome, uid: 0 })
    assert.equal(reasonOf(resolved), `${file} belongs to uid 12345, not to uid 0 that the server runs as: someone else may have written it; delete it to have a token made at the next start, or write your own`)
    assert.equal(checkAdmin(`Bearer ${token.trim()}`, resolved).ok, false)
  })

  test('refuses a token file other users may write, and only warns about one they may read', (t) => {
    const sfHome = tempDir(t)
    const file = path.join(sfHome, 'admin-token')
    fs.writeFileSync(file, token)
    fs.chmodSync(file, 0o666)
    assert.equal(reasonOf(resolveAdminToken({ sfHome, uid: 0 })), `${file} has mode 0666: other users of this host can change the admin token; run chmod 600 ${file}, and write a new token into it`)
    fs.chmodSync(file, 0o640)
    assert.equal(resolveAdminToken({ sfHome, uid: 0 }).token, token.trim())
  })

  for (const mode of [0o777, 0o770, 0o1777]) {
    test(`refuses an SF_HOME of mode 0${mode.toString(8)}, where others can plant a token file, whoever owns the file`, (t) => {
      const sfHome = tempDir(t)
      fs.writeFileSync(path.join(sfHome, 'admin-token'), token, { mode: 0o600 })
      fs.chmodSync(sfHome, mode)
      assert.equal(
        reasonOf(resolveAdminToken({ sfHome, uid: 0 })),
        `${sfHome} (SF_HOME) has mode 0${mode.toString(8)}: other users of this host can put an admin token in it; run chmod 700 ${sfHome}, and delete ${path.join(sfHome, 'admin-token')} unless you wrote it`,
      )
    })
  }

  test('refuses an SF_HOME another user owns, and makes no token in it', (t) => {
    const sfHome = tempDir(t)
    fs.chownSync(sfHome, 12345, 12345)
    assert.equal(reasonOf(resolveAdminToken({ sfHome, uid: 1000 })), `${sfHome} (SF_HOME) belongs to uid 12345, not to uid 1000 that the server runs as: point SF_HOME at a folder of your own`)
    assert.equal(fs.existsSync(path.join(sfHome, 'admin-token')), false)
  })

  test('as root (the vega container), takes the token of the user whose SF_HOME is mounted, and no other user\'s', (t) => {
    const sfHome = tempDir(t)
    const file = path.join(sfHome, 'admin-token')
    fs.writeFileSync(file, token, { mode: 0o600 })
    fs.chownSync(sfHome, 1000, 1000)
    fs.chownSync(file, 1000, 1000)
    assert.equal(resolveAdminToken({ sfHome, uid: 0 }).token, token.trim())
    fs.chownSync(file, 12345, 12345)
    assert.match(reasonOf(resolveAdminToken({ sfHome, uid: 0 })), /belongs to uid 12345, not to uid 0/)
  })

  test('takes the token from an SF_HOME and a file of its own user, mode 0700 and 0600', (t) => {
    const sfHome = tempDir(t)
    fs.writeFileSync(path.join(sfHome, 'admin-token'), token, { mode: 0o600 })
    assert.deepEqual(resolveAdminToken({ sfHome, uid: 0 }), { token: token.trim(), source: 'file', file: path.join(sfHome, 'admin-token') })
  })
})
