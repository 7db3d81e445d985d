// The upgrade lock against real processes: a live holder is refused or waited for, a dead one (gone,
// a zombie, or its pid reused) is recovered, and release() only ever removes this process's own lock.
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { repoRoot } from '../../../lib/paths.ts'
import { acquireLock, LockError, lockFile, readHolder, type LockHolder } from '../../../lib/front/lock.ts'

/** Vega's words for a held lock, as the refusal says them. */
const busy = 'wait for it to finish, or pass --lock-wait <seconds>'

type TestContext = { after: (fn: () => void | Promise<void>) => void }

function tempLock(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-lock-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return lockFile(dir, 'sf-server-vega')
}

/** Field 22 of /proc/<pid>/stat (the start time in clock ticks), counted after the command name. */
function pidStartOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const field = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  assert.ok(field, `no start time in /proc/${pid}/stat`)
  return field
}

function stop(child: ChildProcess): Promise<void> | void {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit').then(() => undefined)
  child.kill('SIGKILL')
  return exited
}

/** A process that lives until the test ends and holds nothing. */
function liveProcess(t: TestContext): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  t.after(() => stop(child))
  assert.ok(child.pid)
  return child.pid
}

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', ''])
  assert.equal(result.status, 0)
  return result.pid
}

function holderRecord(fields: Partial<LockHolder> & { pid: number }): LockHolder {
  return { pidStart: null, host: os.hostname(), user: 'deploy', since: '2026-11-27T10:15:00.000Z', command: 'npm run docker:vega:upgrade', ...fields }
}

function writeHolder(file: string, holder: LockHolder): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(holder) + '\n')
}

/** Another process that takes the lock through acquireLock and gives it back when told to (a line on stdin). */
async function holdInChild(t: TestContext, file: string, command: string): Promise<{ child: ChildProcess; release: () => Promise<void> }> {
  const lockModule = pathToFileURL(path.join(repoRoot, 'lib', 'front', 'lock.ts')).href
  const script = `
    const { acquireLock } = await import(${JSON.stringify(lockModule)})
    const lock = await acquireLock(process.argv[1], { command: process.argv[2], waitMs: 0, busy: 'wait' })
    process.stdout.write('held\\n')
    process.stdin.once('data', async () => {
      await lock.release()
      process.stdout.write('released\\n')
      process.exit(0)
    })`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file, command], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  t.after(() => stop(child))
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async (expected: string) => {
    const line = await lines.next()
    assert.equal(line.value, expected, `the holder process should print ${expected}`)
  }
  await next('held')
  return {
    child,
    release: async () => {
      child.stdin!.write('go\n')
      await next('released')
      await once(child, 'exit')
    },
  }
}

async function lockError(promise: Promise<unknown>): Promise<LockError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof LockError, `expected a LockError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a LockError, but the lock was taken')
}

describe('acquireLock', () => {
  test('writes a lock file naming this process, and release() removes it', async (t) => {
    const file = tempLock(t)
    const before = Date.now()
    const lock = await acquireLock(file, { command: 'npm run docker:vega:upgrade', waitMs: 0, busy })
    assert.equal(lock.file, file)
    assert.equal(lock.recovered, null)
    const holder = await readHolder(file)
    assert.ok(holder)
    assert.deepEqual(holder, {
      pid: process.pid,
      pidStart: pidStartOf(process.pid),
      host: os.hostname(),
      user: os.userInfo().username,
      since: holder.since,
      command: 'npm run docker:vega:upgrade',
    })
    assert.ok(Date.parse(holder.since) >= before - 1000 && Date.parse(holder.since) <= Date.now(), `since ${holder.since} is now`)
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['lock.json'], 'no temp file is left beside the lock')
    await lock.release()
    assert.equal(fs.existsSync(file), false)
  })

  test('refuses while another live process holds it, naming the holder and --lock-wait', async (t) => {
    const file = tempLock(t)
    const { child } = await holdInChild(t, file, 'npm run docker:vega:rollback')
    const holder = await readHolder(file)
    assert.ok(holder)
    assert.equal(holder.pid, child.pid)
    const error = await lockError(acquireLock(file, { command: 'npm run docker:vega:upgrade', waitMs: 0, busy }))
    assert.equal(
      error.message,
      `another upgrade holds ${file}: pid ${child.pid} (${os.userInfo().username}@${os.hostname()}, npm run docker:vega:rollback) since ${holder.since}; wait for it to finish, or pass --lock-wait <seconds>`,
    )
    assert.deepEqual(await readHolder(file), holder, 'the holder keeps its lock')
  })

  test('refuses a holder whose recorded start time matches its live pid', async (t) => {
    const file = tempLock(t)
    const pid = liveProcess(t)
    writeHolder(file, holderRecord({ pid, pidStart: pidStartOf(pid) }))
    const error = await lockError(acquireLock(file, { command: 'test', waitMs: 0, busy }))
    assert.match(error.message, new RegExp(`: pid ${pid} \\(deploy@`))
  })

  test('with a wait, tells once that it waits and takes the lock when the holder releases it', async (t) => {
    const file = tempLock(t)
    const holding = await holdInChild(t, file, 'npm run docker:vega:up')
    const waitedFor: LockHolder[] = []
    let released: Promise<void> | undefined
    const lock = await acquireLock(file, {
      command: 'npm run docker:vega:upgrade',
      waitMs: 20_000,
      busy,
      onWait: (holder) => {
        waitedFor.push(holder)
        released = holding.release()
      },
    })
    t.after(() => lock.release())
    await released
    assert.deepEqual(waitedFor.map((h) => [h.pid, h.command]), [[holding.child.pid, 'npm run docker:vega:up']])
    assert.equal(lock.recovered, null, 'a released lock is not a recovered one')
    assert.equal((await readHolder(file))?.pid, process.pid)
  })

  test('with a wait, recovers the lock of a holder killed meanwhile', async (t) => {
    const file = tempLock(t)
    const { child } = await holdInChild(t, file, 'npm run docker:vega:up')
    const lock = await acquireLock(file, { command: 'test', waitMs: 20_000, busy, onWait: () => child.kill('SIGKILL') })
    t.after(() => lock.release())
    assert.equal(lock.recovered?.pid, child.pid)
    assert.equal((await readHolder(file))?.pid, process.pid)
  })

  test('recovers a lock whose holder on this host has exited, and names it', async (t) => {
    const file = tempLock(t)
    const dead = holderRecord({ pid: deadPid(), pidStart: '12345' })
    writeHolder(file, dead)
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    t.after(() => lock.release())
    assert.deepEqual(lock.recovered, dead)
    assert.equal((await readHolder(file))?.pid, process.pid)
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['lock.json'], 'the stale lock moved aside is gone')
  })

  test('recovers a lock whose holder is a zombie nobody reaped', async (t) => {
    const file = tempLock(t)
    // The shell starts a child that exits shortly after the shell has become `sleep`, which never
    // reaps it (a child exiting before the exec could be reaped by the shell itself).
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => stop(parent))
    const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string]
    const zombie = Number(line)
    const deadline = Date.now() + 5000
    while (!/\) Z /.test(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8'))) {
      assert.ok(Date.now() < deadline, `pid ${zombie} did not become a zombie`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const holder = holderRecord({ pid: zombie, pidStart: pidStartOf(zombie) })
    writeHolder(file, holder)
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    t.after(() => lock.release())
    assert.deepEqual(lock.recovered, holder)
  })

  test('recovers a lock whose pid is alive but started at another time (the pid was reused)', async (t) => {
    const file = tempLock(t)
    const pid = liveProcess(t)
    const reused = holderRecord({ pid, pidStart: String(Number(pidStartOf(pid)) - 1) })
    writeHolder(file, reused)
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    t.after(() => lock.release())
    assert.deepEqual(lock.recovered, reused)
  })

  test('counts a holder on another host as alive, even when its pid does not exist here', async (t) => {
    const file = tempLock(t)
    const remote = holderRecord({ pid: deadPid(), host: 'build-box-2' })
    writeHolder(file, remote)
    const error = await lockError(acquireLock(file, { command: 'test', waitMs: 0, busy }))
    assert.match(error.message, new RegExp(`: pid ${remote.pid} \\(deploy@build-box-2, npm run docker:vega:upgrade\\) since 2026-11-27T10:15:00.000Z;`))
    assert.deepEqual(await readHolder(file), remote)
  })

  test('recovers an unreadable lock file', async (t) => {
    const file = tempLock(t)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, 'pid 4242, not json\n')
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    t.after(() => lock.release())
    assert.deepEqual(lock.recovered, { pid: 0, pidStart: null, host: '?', user: '?', since: '?', command: 'unreadable lock file' })
    assert.equal((await readHolder(file))?.pid, process.pid)
  })

  test('release() leaves alone a lock another process took meanwhile', async (t) => {
    const file = tempLock(t)
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    const pid = liveProcess(t)
    const other = holderRecord({ pid, pidStart: pidStartOf(pid) })
    writeHolder(file, other)
    await lock.release()
    assert.deepEqual(await readHolder(file), other)
  })

  test('record() rewrites the lock whole with how far the run got; the holder stays this process, and release() still removes it', async (t) => {
    const file = tempLock(t)
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    const run = { action: 'upgrade' as const, from: { commit: 'a'.repeat(40), buildId: 'b1', imageId: 'sha256:1' }, to: null, phases: { preflight: 12, lock: 1 }, current: 'converge' }
    lock.record(run)
    const holder = await readHolder(file)
    assert.equal(holder?.pid, process.pid)
    assert.deepEqual(holder?.run, run)
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['lock.json'], 'no temp file is left beside it')
    await lock.release()
    assert.equal(fs.existsSync(file), false)
  })

  test("a recovered lock hands over the dead run's record", async (t) => {
    const file = tempLock(t)
    const run = { action: 'upgrade' as const, from: null, to: null, phases: { preflight: 12 }, current: 'settle: sf-server-vega-candidate green' }
    const dead = { ...holderRecord({ pid: deadPid(), pidStart: '12345' }), run }
    writeHolder(file, dead)
    const lock = await acquireLock(file, { command: 'test', waitMs: 0, busy })
    t.after(() => lock.release())
    assert.deepEqual(lock.recovered?.run, run)
  })
})
