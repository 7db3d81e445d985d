// Running an npm script as a user would, and watching its JSON events.
import { spawn, type ChildProcess } from 'node:child_process'

export interface NpmRun {
  child: ChildProcess
  /** The JSON events it printed on stdout so far. */
  events: Record<string, unknown>[]
  stdout(): string
  stderr(): string
  exited: Promise<number>
  /** Resolves with the first event that matches. */
  waitFor(match: (e: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  /** SIGKILL npm and everything it started (its own process group). */
  killAll(): void
}

export function npmRun(cwd: string, script: string, args: string[], env: Record<string, string>): NpmRun {
  const child = spawn('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const events: Record<string, unknown>[] = []
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = []
  let out = ''
  let err = ''
  let partial = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      let event: Record<string, unknown>
      try {
        event = JSON.parse(line) as Record<string, unknown>
      } catch {
        continue // not an event line (pretty-printed JSON, or text)
      }
      events.push(event)
      for (const w of [...waiters]) if (w.match(event)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(event))
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 137)))
  return {
    child,
    events,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(match) {
      const seen = events.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve })
        void exited.then((code) => reject(new Error(`npm run ${script} exited with ${code} before the awaited event\n${err}`)))
      })
    },
    killAll() {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    },
  }
}
