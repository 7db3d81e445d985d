// Reading the environment: the checkout's .env under the real one, every SF_* variable resolved and
// validated at once against lib/env-variables.ts. Functions take `env` as a parameter so tests pass a
// plain object and never touch process.env.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseDotenv } from 'dotenv'
import { shownName, shownValue, sfVariables, type Env, type EnvContext, type SfConfig, type SfVariable, type Variable } from './env-variables.ts'
import { ConfigError } from './errors.ts'

export type { Env, EnvContext, SfConfig, SfVariable }

export interface ConfigProblem {
  variable: string
  value: string
  /** The value was the default, not given. */
  defaulted: boolean
  message: string
}

/** Where a value came from when not the environment: a flag (`--port`) or a file (the checkout's .env). */
export type Origin = { flag: string } | { file: string }

/** The longest value any SF_* variable may hold: past it, the environment of the web host no longer fits. */
export const maxValueLength = 8192

/**
 * `SF_WEB_PORT="70000": must be ...` for the environment, `SF_WEB_PORT="70000" (from /x/.env): ...`
 * for the .env file, `--port "70000" (SF_WEB_PORT): ...` when a flag gave it.
 */
export function formatProblem(p: ConfigProblem, origins: Partial<Record<string, Origin>> = {}): string {
  const variable = sfVariables[p.variable as SfVariable] as Variable | undefined
  const value = shownValue(p.value, variable?.secret)
  const origin = origins[p.variable]
  const source = p.defaulted ? ` (default: ${variable?.defaultText})` : origin && 'file' in origin ? ` (from ${origin.file})` : ''
  return `${origin && 'flag' in origin ? `${origin.flag} ${value} (${p.variable})` : `${p.variable}=${value}`}${source}: ${p.message}`
}

/**
 * Resolve and validate every SF_* variable. Throws one ConfigError naming every bad variable, the
 * value given (a secret's length only) and what is allowed; `origins` names the flags and the file
 * values came from. An empty value means unset, except from a flag (`--port ''` is a bad port).
 */
export function readConfig(env: Env, ctx: EnvContext, origins: Partial<Record<string, Origin>> = {}): SfConfig {
  const full = { home: ctx.home ?? env.HOME ?? os.homedir(), checkout: ctx.checkout }
  const resolved: Env = {}
  const config: Record<string, unknown> = {}
  const problems: ConfigProblem[] = []
  let dependentSkipped = false
  for (const [name, variable] of Object.entries(sfVariables) as [string, Variable][]) {
    const given = env[name]
    const origin = origins[name]
    const defaulted = given === undefined || (given === '' && !(origin && 'flag' in origin))
    const raw = defaulted ? (variable.default ? variable.default(full, resolved) : '') : given
    if (raw === undefined) {
      dependentSkipped = true // its default needs a variable already reported as bad
      continue
    }
    // Checked before the schema, so no rule (and no spawn later) ever works on a value of megabytes.
    const result = raw.length > maxValueLength ? null : variable.schema.safeParse(raw)
    if (result?.success) {
      config[name] = result.data
      resolved[name] = result.data === undefined ? undefined : String(result.data)
    } else {
      const message = result ? (result.error.issues[0]?.message ?? 'is invalid') : `must be at most ${maxValueLength} characters`
      problems.push({ variable: name, value: raw, defaulted, message })
    }
  }
  if (problems.length > 0 || dependentSkipped) {
    const lines = problems.map((p) => formatProblem(p, origins))
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`, lines)
  }
  return config as SfConfig
}

/**
 * The process environment over the SF_* variables of the checkout's .env file: a variable set in the
 * environment wins. Other names in .env are left out (envWarnings names them): the file configures
 * SF, and must not hand the web host NODE_OPTIONS or the like.
 */
export function loadEnv(env: Env, checkout: string): Env {
  return { ...sfOnly(readDotenv(checkout)), ...env }
}

/** The variables loadEnv takes from the .env file (not overridden by `env`), for readConfig's origins. */
export function dotenvOrigins(env: Env, checkout: string): Partial<Record<string, Origin>> {
  const file = path.join(checkout, '.env')
  return Object.fromEntries(Object.keys(sfOnly(readDotenv(checkout))).filter((name) => env[name] === undefined).map((name) => [name, { file }]))
}

const sfOnly = (values: Env): Env => Object.fromEntries(Object.entries(values).filter(([name]) => name.startsWith('SF_')))

/** Variables SF reads that are not configuration. */
const otherSfVariables = ['SF_VERBOSE']

/** What is worth a warning in the environment: names in .env that are ignored, SF_* names SF does not read. */
export function envWarnings(env: Env, checkout: string): string[] {
  const fromFile = readDotenv(checkout)
  const file = path.join(checkout, '.env')
  const warnings = Object.keys(fromFile)
    .filter((name) => !name.startsWith('SF_'))
    .map((name) => `${file}: ${shownName(name)} is ignored: .env holds SF_* variables only; set it in the environment if the server needs it`)
  const known = [...Object.keys(sfVariables), ...otherSfVariables]
  for (const name of new Set([...Object.keys(fromFile), ...Object.keys(env)])) {
    if (!name.startsWith('SF_') || known.includes(name)) continue
    // The distance is at least the difference in length: only names within 3 of it can be meant.
    const [closest] = known.filter((k) => Math.abs(k.length - name.length) <= 3).map((k) => [k, editDistance(name, k)] as const).sort((a, b) => a[1] - b[1])
    const from = name in env ? '' : ' (from .env)'
    const hint = closest && closest[1] <= 3 ? `did you mean ${closest[0]}?` : 'see the configuration table in README.md'
    warnings.push(`${shownName(name)}${from} is not a variable SF reads: ${hint}`)
  }
  return warnings
}

/** The largest .env read: far more than SF's variables need, far less than an environment may hold. */
const maxDotenvBytes = 256 * 1024

/**
 * The checkout's .env file, parsed; empty when there is none. Opened without blocking, so a FIFO is
 * refused rather than waited on; a NUL byte is refused by name, without the value (it may be a secret).
 */
function readDotenv(checkout: string): Env {
  const file = path.join(checkout, '.env')
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return {}
    throw unreadable(file, error)
  }
  let text: Buffer
  try {
    const stat = fs.fstatSync(fd)
    if (stat.isDirectory()) throw new ConfigError(`${file} is a directory: .env must be a file of NAME=value lines; move the directory away`)
    if (!stat.isFile()) throw new ConfigError(`${file} is not a regular file (${fileKind(stat)}): .env must be a file of NAME=value lines; move it away`)
    if (stat.size > maxDotenvBytes) throw new ConfigError(`${file} is ${stat.size} bytes: at most ${maxDotenvBytes} (256 KiB); it holds SF_* variables only, so trim it`)
    text = fs.readFileSync(fd)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw unreadable(file, error)
  } finally {
    fs.closeSync(fd)
  }
  const values = parseDotenv(text)
  const withNul = Object.keys(values).filter((name) => values[name]!.includes('\0'))
  if (withNul.length > 0) throw new ConfigError(`${file}: ${withNul.join(', ')} ${withNul.length > 1 ? 'hold' : 'holds'} a NUL byte, which no environment variable can: fix that line`)
  return values
}

function unreadable(file: string, error: unknown): ConfigError {
  return new ConfigError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): make it readable, or move it away`)
}

function fileKind(stat: fs.Stats): string {
  return stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'not a file'
}

/** Levenshtein distance, for naming the variable a misspelled one was meant to be. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}
