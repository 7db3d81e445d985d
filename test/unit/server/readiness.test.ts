import { test, describe, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createDrain } from '../../../lib/server/drain.ts'
import { checkReadiness, markStarted, registerReadinessHook } from '../../../lib/server/readiness.ts'

// Readiness keeps its state on globalThis (one per process, shared by every bundle); each test starts afresh.
beforeEach(() => {
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('sf.readiness')]
})

describe('checkReadiness', () => {
  test('is not ready, as starting, before markStarted', async () => {
    let ran = false
    registerReadinessHook('recover', () => {
      ran = true
    })
    assert.deepEqual(await checkReadiness(createDrain()), { ready: false, reason: 'starting', hooks: [] })
    assert.equal(ran, false, 'a hook ran before the server had started')
  })

  test('is ready once started with no hooks', async () => {
    markStarted()
    assert.deepEqual(await checkReadiness(createDrain()), { ready: true, reason: null, hooks: [] })
  })

  test('is not ready while the drain it is given is draining, naming the reason', async () => {
    markStarted()
    const drain = createDrain()
    assert.equal((await checkReadiness(drain)).ready, true)
    drain.requestShutdown('SIGTERM')
    assert.deepEqual(await checkReadiness(drain), { ready: false, reason: 'draining (SIGTERM)', hooks: [] })
  })

  test('a throwing hook makes it not ready, naming the hook and its error', async () => {
    markStarted()
    registerReadinessHook('first', () => {})
    registerReadinessHook('orphans', async () => {
      throw new Error('cannot read queue')
    })
    const result = await checkReadiness(createDrain())
    assert.equal(result.ready, false)
    assert.equal(result.reason, 'readiness hook orphans failed: cannot read queue')
    assert.deepEqual(
      result.hooks.map(({ name, ok, error }) => ({ name, ok, error })),
      [
        { name: 'first', ok: true, error: undefined },
        { name: 'orphans', ok: false, error: 'cannot read queue' },
      ],
    )
    for (const hook of result.hooks) assert.ok(Number.isInteger(hook.ms) && hook.ms >= 0)
  })

  test('runs every hook on every call', async () => {
    markStarted()
    const calls: string[] = []
    registerReadinessHook('a', () => {
      calls.push('a')
    })
    registerReadinessHook('b', async () => {
      calls.push('b')
    })
    const drain = createDrain()
    await checkReadiness(drain)
    await checkReadiness(drain)
    await checkReadiness(drain)
    assert.deepEqual(calls, ['a', 'b', 'a', 'b', 'a', 'b'])
  })

  test('recovers once a failing hook succeeds again', async () => {
    markStarted()
    let failing = true
    registerReadinessHook('flaky', () => {
      if (failing) throw new Error('not yet')
    })
    const drain = createDrain()
    assert.equal((await checkReadiness(drain)).ready, false)
    failing = false
    assert.equal((await checkReadiness(drain)).ready, true)
  })

  test('a hook registered again under the same name replaces the old one', async () => {
    markStarted()
    registerReadinessHook('recover', () => {
      throw new Error('old hook')
    })
    registerReadinessHook('recover', () => {})
    const result = await checkReadiness(createDrain())
    assert.equal(result.ready, true)
    assert.equal(result.hooks.length, 1)
  })
})
