import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDrain, processDrain, type DrainSnapshot } from '../../../lib/server/drain.ts'

const fixedNow = () => new Date('2025-01-02T03:04:05.000Z')

/**
 * Track whether a promise has settled, so a test can assert it has not yet. `value` fails after
 * `ms`; its timer also keeps the event loop alive, which whenIdle's own (unref'd) poll does not.
 */
function watch<T>(promise: Promise<T>, ms = 2000): { settled: () => boolean; value: Promise<T> } {
  let settled = false
  const tracked = promise.then((v) => {
    settled = true
    return v
  })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`whenIdle did not resolve within ${ms} ms`)), ms)
  })
  return { settled: () => settled, value: Promise.race([tracked, deadline]).finally(() => clearTimeout(timer)) }
}

describe('createDrain', () => {
  test('counts work begun and ended under each name', () => {
    const drain = createDrain()
    const endA = drain.begin('rpc')
    const endB = drain.begin('rpc')
    const endC = drain.begin('build')
    assert.deepEqual(drain.snapshot().active, { rpc: 2, build: 1 })
    assert.equal(drain.snapshot().total, 3)
    endA()
    endC()
    assert.deepEqual(drain.snapshot().active, { rpc: 1 })
    endB()
    assert.deepEqual(drain.snapshot().active, {})
    assert.equal(drain.snapshot().total, 0)
  })

  test('counts an end only once however often it is called', () => {
    const drain = createDrain()
    const end = drain.begin('rpc')
    drain.begin('rpc')
    end()
    end()
    end()
    assert.deepEqual(drain.snapshot().active, { rpc: 1 })
  })

  test('polls registered participants for their own counts', () => {
    const drain = createDrain()
    let queued = 2
    const unregister = drain.register('queue', () => queued)
    drain.register('broken', () => {
      throw new Error('pool closed')
    })
    drain.begin('queue')
    assert.deepEqual(drain.snapshot().active, { queue: 3 })
    queued = 0
    assert.deepEqual(drain.snapshot().active, { queue: 1 })
    queued = 5
    unregister()
    assert.deepEqual(drain.snapshot().active, { queue: 1 })
  })

  test('a stale unregister leaves a newer participant of the same name in place', () => {
    const drain = createDrain()
    const unregisterOld = drain.register('pool', () => 1)
    drain.register('pool', () => 4)
    unregisterOld()
    assert.deepEqual(drain.snapshot().active, { pool: 4 })
  })

  test('starts running, with no reason and no request time', () => {
    assert.deepEqual(createDrain(fixedNow).snapshot(), { phase: 'running', reason: null, requestedAt: null, active: {}, total: 0 })
  })

  test('requestShutdown switches to draining; the first reason and time win', () => {
    let clock = new Date('2025-01-02T03:04:05.000Z')
    const drain = createDrain(() => clock)
    drain.begin('rpc')
    drain.requestShutdown('SIGTERM')
    clock = new Date('2025-01-02T04:00:00.000Z')
    drain.requestShutdown('api/drain')
    assert.deepEqual(drain.snapshot(), {
      phase: 'draining',
      reason: 'SIGTERM',
      requestedAt: '2025-01-02T03:04:05.000Z',
      active: { rpc: 1 },
      total: 1,
    })
  })

  test('whenIdle waits while running even with no work', async () => {
    const drain = createDrain(fixedNow)
    const idle = watch(drain.whenIdle(5))
    await sleep(30)
    assert.equal(idle.settled(), false, 'resolved before shutdown was requested')
    drain.requestShutdown('test')
    const snapshot = await idle.value
    assert.equal(snapshot.phase, 'draining')
    assert.equal(snapshot.total, 0)
  })

  test('whenIdle waits for begun work to end once draining', async () => {
    const drain = createDrain(fixedNow)
    const end = drain.begin('rpc')
    drain.requestShutdown('test')
    const idle = watch(drain.whenIdle(5))
    await sleep(30)
    assert.equal(idle.settled(), false, 'resolved while work was running')
    end()
    const snapshot: DrainSnapshot = await idle.value
    assert.deepEqual(snapshot, { phase: 'draining', reason: 'test', requestedAt: fixedNow().toISOString(), active: {}, total: 0 })
  })

  test('whenIdle notices a polled participant going idle', async () => {
    const drain = createDrain(fixedNow)
    let queued = 1
    drain.register('queue', () => queued)
    drain.requestShutdown('test')
    const idle = watch(drain.whenIdle(5))
    await sleep(30)
    assert.equal(idle.settled(), false, 'resolved while the participant had work')
    queued = 0 // no notification: only polling can see this
    const snapshot = await idle.value
    assert.equal(snapshot.total, 0)
  })
})

describe('processDrain', () => {
  test('returns one drain per process, kept on globalThis', () => {
    const drain = processDrain()
    assert.equal(processDrain(), drain)
    assert.equal((globalThis as Record<symbol, unknown>)[Symbol.for('sf.drain')], drain)
  })

  test('is shared by a second copy of the module, as separately bundled routes load it', async () => {
    const copy = (await import(`../../../lib/server/drain.ts?copy=${Date.now()}`)) as typeof import('../../../lib/server/drain.ts')
    assert.notEqual(copy.createDrain, createDrain, 'the import did not load a second copy')
    assert.equal(copy.processDrain(), processDrain())
  })
})
