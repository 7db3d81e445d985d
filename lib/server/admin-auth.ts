// Admin auth: a bearer token from SF_ADMIN_TOKEN or SF_HOME/admin-token (made mode 0600 on first
// start), compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export type AdminToken =
  | { token: string; source: 'SF_ADMIN_TOKEN' | 'file'; file?: string }
  | { token: null; reason: string }

export const adminTokenFileName = 'admin-token'

/** The configured token; creates SF_HOME/admin-token when neither it nor SF_ADMIN_TOKEN exists. */
export function resolveAdminToken(options: { envToken?: string; sfHome: string }): AdminToken {
  if (options.envToken) return { token: options.envToken, source: 'SF_ADMIN_TOKEN' }
  const file = path.join(options.sfHome, adminTokenFileName)
  try {
    const existing = readToken(file)
    if (existing) return { token: existing, source: 'file', file }
    if (existing === '') return { token: null, reason: `${file} is empty: delete it to have a token made at the next start, or write one (16+ characters) into it` }
    fs.mkdirSync(options.sfHome, { recursive: true, mode: 0o700 })
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    return { token: readToken(file) ?? '', source: 'file', file }
  } catch (error) {
    return { token: null, reason: `${file} could not be read or created (${(error as Error).message})` }
  }
}

/** The token in `file`: null when there is no file, '' when it is empty. */
function readToken(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
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
