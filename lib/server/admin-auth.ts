// Admin auth: a bearer token from SF_ADMIN_TOKEN or SF_HOME/admin-token (made mode 0600 on first
// start), compared in constant time. The file is held to the rules SF_ADMIN_TOKEN is held to, and
// to ssh's rules for who may have written it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { adminTokenRule } from '../env-variables.ts'
import { ConfigError } from '../errors.ts'

export type AdminToken =
  | { token: string; source: 'SF_ADMIN_TOKEN' | 'file'; file?: string; /** Said at start: the token works, but should be mended. */ warning?: string }
  | { token: null; reason: string }

export const adminTokenFileName = 'admin-token'

/**
 * The configured token; creates SF_HOME/admin-token when neither it nor SF_ADMIN_TOKEN exists. As ssh
 * does with authorized_keys, a token another user could have put there is refused: SF_HOME must be
 * writable by its owner alone, and it and the file must belong to the server's user (`uid`) or root.
 * A server running as root (the vega container) trusts the owner of SF_HOME as well: the operator
 * whose ~/.sf is mounted there.
 */
export function resolveAdminToken(options: { envToken?: string; sfHome: string; uid?: number }): AdminToken {
  if (options.envToken) return { token: options.envToken, source: 'SF_ADMIN_TOKEN' }
  const file = path.join(options.sfHome, adminTokenFileName)
  const uid = options.uid ?? process.getuid?.()
  try {
    const home = uid === undefined ? null : sfHomeOwner(options.sfHome, file, uid)
    if (home && 'problem' in home) return { token: null, reason: home.problem }
    const existing = readToken(file)
    if (existing && uid !== undefined && ![uid, 0, home?.owner].includes(existing.uid)) {
      return { token: null, reason: `${file} belongs to uid ${existing.uid}, not to uid ${uid} that the server runs as: someone else may have written it; delete it to have a token made at the next start, or write your own` }
    }
    const mode = existing && `0${existing.mode.toString(8)}`
    if (existing && (existing.mode & 0o022) !== 0) {
      return { token: null, reason: `${file} has mode ${mode}: other users of this host can change the admin token; run chmod 600 ${file}, and write a new token into it` }
    }
    if (existing?.token === '') return { token: null, reason: `${file} is empty: delete it to have a token made at the next start, or write one (16+ characters) into it` }
    if (existing && !adminTokenRule.test(existing.token)) {
      return {
        token: null,
        reason: `${file} holds a token of ${existing.token.length} characters: it ${adminTokenRule.message}; write a new one into it, or delete the file to have one made at the next start`,
      }
    }
    if (existing) {
      if ((existing.mode & 0o077) === 0) return { token: existing.token, source: 'file', file }
      return { token: existing.token, source: 'file', file, warning: `${file} has mode ${mode}: other users of this host can read the admin token; run chmod 600 ${file}` }
    }
    fs.mkdirSync(options.sfHome, { recursive: true, mode: 0o700 })
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    return { token: readToken(file)?.token ?? '', source: 'file', file }
  } catch (error) {
    if (error instanceof ConfigError) return { token: null, reason: error.message }
    return { token: null, reason: `${file} could not be read or created (${(error as Error).message})` }
  }
}

/** SF_HOME's owner, or why SF_HOME cannot be trusted to hold the token; null when it does not exist yet. */
function sfHomeOwner(sfHome: string, file: string, uid: number): { owner: number } | { problem: string } | null {
  let stat: fs.Stats
  try {
    stat = fs.statSync(sfHome)
  } catch {
    return null // made below, mode 0700; or its creation fails with its own reason
  }
  if (uid !== 0 && stat.uid !== uid && stat.uid !== 0) {
    return { problem: `${sfHome} (SF_HOME) belongs to uid ${stat.uid}, not to uid ${uid} that the server runs as: point SF_HOME at a folder of your own` }
  }
  // Sticky or not: in a folder others may write, they may put an admin-token before the server does.
  if ((stat.mode & 0o022) !== 0) {
    return { problem: `${sfHome} (SF_HOME) has mode 0${(stat.mode & 0o7777).toString(8)}: other users of this host can put an admin token in it; run chmod 700 ${sfHome}, and delete ${file} unless you wrote it` }
  }
  return { owner: stat.uid }
}

/**
 * The token in `file` ('' when it is empty) and the file's mode; null when there is no file. The
 * file is opened without following a link, so the file checked is the file read.
 */
function readToken(file: string): { token: string; mode: number; uid: number } | null {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ELOOP') {
      throw new ConfigError(`${file} is a symbolic link: replace it with a file of its own (mode 0600), or delete it to have one made at the next start`)
    }
    throw error
  }
  try {
    const stat = fs.fstatSync(fd)
    if (!stat.isFile()) throw new ConfigError(`${file} is not a file: move it away to have a token made at the next start`)
    return { token: fs.readFileSync(fd, 'utf8').trim(), mode: stat.mode & 0o777, uid: stat.uid }
  } finally {
    fs.closeSync(fd)
  }
}

export type AdminCheck = { ok: true } | { ok: false; status: 401 | 403; error: string }

/** Decide an admin request from its Authorization header. */
export function checkAdmin(authorization: string | null, configured: AdminToken): AdminCheck {
  if (configured.token === null) {
    return {
      ok: false,
      status: 403,
      // The reason names files under SF_HOME: it is for the log, which said it at start, not for whoever asks.
      error: `admin endpoints are disabled: no usable admin token is configured (the server log says why, at start). Set SF_ADMIN_TOKEN (16+ characters) or make SF_HOME writable so the server creates SF_HOME/${adminTokenFileName}, then restart.`,
    }
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  if (!match || !sameSecret(match[1]!, configured.token)) {
    return { ok: false, status: 401, error: 'admin token required: send Authorization: Bearer <token> (SF_ADMIN_TOKEN or SF_HOME/admin-token)' }
  }
  return { ok: true }
}

/** Constant-time comparison; hashing first makes the lengths equal. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}
