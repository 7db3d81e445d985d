// Admin auth: a bearer token from SF_ADMIN_TOKEN or SF_HOME/admin-token (made mode 0600 on first
// start), compared in constant time. The file is held to the rules SF_ADMIN_TOKEN is held to.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { adminTokenRule } from '../env-variables.ts'
import { ConfigError } from '../errors.ts'

export type AdminToken =
  | { token: string; source: 'SF_ADMIN_TOKEN' | 'file'; file?: string; /** Said at start: the token works, but should be mended. */ warning?: string }
  | { token: null; reason: string }

export const adminTokenFileName = 'admin-token'

/** The configured token; creates SF_HOME/admin-token when neither it nor SF_ADMIN_TOKEN exists. */
export function resolveAdminToken(options: { envToken?: string; sfHome: string }): AdminToken {
  if (options.envToken) return { token: options.envToken, source: 'SF_ADMIN_TOKEN' }
  const file = path.join(options.sfHome, adminTokenFileName)
  try {
    const existing = readToken(file)
    if (existing?.token === '') return { token: null, reason: `${file} is empty: delete it to have a token made at the next start, or write one (16+ characters) into it` }
    if (existing && !adminTokenRule.test(existing.token)) {
      return {
        token: null,
        reason: `${file} holds a token of ${existing.token.length} characters: it ${adminTokenRule.message}; write a new one into it, or delete the file to have one made at the next start`,
      }
    }
    if (existing) {
      if ((existing.mode & 0o077) === 0) return { token: existing.token, source: 'file', file }
      const mode = `0${existing.mode.toString(8)}`
      return { token: existing.token, source: 'file', file, warning: `${file} has mode ${mode}: other users of this host can read or change the admin token; run chmod 600 ${file}` }
    }
    fs.mkdirSync(options.sfHome, { recursive: true, mode: 0o700 })
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    return { token: readToken(file)?.token ?? '', source: 'file', file }
  } catch (error) {
    if (error instanceof ConfigError) return { token: null, reason: error.message }
    return { token: null, reason: `${file} could not be read or created (${(error as Error).message})` }
  }
}

/**
 * The token in `file` ('' when it is empty) and the file's mode; null when there is no file. The
 * file is opened without following a link, so the file checked is the file read.
 */
function readToken(file: string): { token: string; mode: number } | null {
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
    return { token: fs.readFileSync(fd, 'utf8').trim(), mode: stat.mode & 0o777 }
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
      error: `admin endpoints are disabled: no admin token is configured (${configured.reason}). Set SF_ADMIN_TOKEN (16+ characters) or make SF_HOME writable so the server creates SF_HOME/${adminTokenFileName}, then restart.`,
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
