import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createShortCache } from '../../../lib/server/short-cache.ts'

describe('createShortCache', () => {
  test('answers repeated requests within the time to live from one computation, and computes again after it', async () => {
    let clock = 1000
    let made = 0
    const cache = createShortCache<number>(5000, () => clock)
    const make = async () => ++made
    assert.equal(await cache.get('k', make), 1)
    clock += 4999
    assert.equal(await cache.get('k', make), 1)
    clock += 1
    assert.equal(await cache.get('k', make), 2)
    assert.equal(made, 2)
  })

  test('shares one computation among requests that arrive while it runs', async () => {
    let made = 0
    const cache = createShortCache<number>(5000)
    const make = () => new Promise<number>((resolve) => setTimeout(() => resolve(++made), 20))
    const answers = await Promise.all([cache.get('k', make), cache.get('k', make), cache.get('k', make)])
    assert.deepEqual(answers, [1, 1, 1])
  })

  test('does not keep a failure', async () => {
    const cache = createShortCache<number>(5000)
    await assert.rejects(cache.get('k', () => Promise.reject(new Error('disk gone'))), /disk gone/)
    assert.equal(await cache.get('k', async () => 7), 7)
  })
})
