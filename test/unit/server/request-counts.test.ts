// Requests are counted by route pattern and status class: a bounded set of labels whatever the paths.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { repoRoot } from '../../../lib/paths.ts'
import { createRequestCounter, routeOf, routePatterns, statusClassIndex, statusClasses } from '../../../lib/server/request-counts.ts'

/** Every route the app serves, from its folders: web/app/page.tsx is `/`, web/app/api/x/route.ts is `/api/x`. */
function appRoutes(): string[] {
  const app = path.join(repoRoot, 'web', 'app')
  return fs
    .readdirSync(app, { recursive: true, encoding: 'utf8' })
    .filter((f) => /(^|\/)(route\.ts|page\.tsx)$/.test(f))
    .map((f) => `/${path.dirname(f)}`.replace(/\/\.$/, '') || '/')
    .sort()
}

describe('routeOf', () => {
  test('knows every route the app serves, and nothing else', () => {
    assert.deepEqual([...routePatterns].sort(), appRoutes())
  })

  test('labels a path by its route pattern, Next assets as one, and any other path as other', () => {
    assert.equal(routeOf('/api/healthz'), '/api/healthz')
    assert.equal(routeOf('/'), '/')
    assert.equal(routeOf('/api/server-upgrade/mx1abc/events'), '/api/server-upgrade/[id]/events')
    assert.equal(routeOf('/api/server-upgrade/rollback'), '/api/server-upgrade/rollback')
    assert.equal(routeOf('/_next/static/chunks/app.js'), '/_next')
    for (const raw of ['/api/healthz/', '/wp-login.php', '/api/server-upgrade/a/b/events', '/api/server-upgrade//events', `/${'x'.repeat(5000)}`]) {
      assert.equal(routeOf(raw), 'other', raw)
    }
  })
})

describe('createRequestCounter', () => {
  test('counts by route and status class; a request that got no answer is none', () => {
    const counter = createRequestCounter()
    counter.count('/api/healthz', 200)
    counter.count('/api/healthz', 204)
    counter.count('/api/projects', 503)
    counter.count('/nowhere/1', 404)
    counter.count('/nowhere/2', 404)
    counter.count('/api/events', null)
    assert.deepEqual(counter.counts(), [
      { route: '/api/events', statusClass: 'none', count: 1 },
      { route: '/api/healthz', statusClass: '2xx', count: 2 },
      { route: '/api/projects', statusClass: '5xx', count: 1 },
      { route: 'other', statusClass: '4xx', count: 2 },
    ])
  })

  test('a status outside 100-599 is no class of answer', () => {
    assert.equal(statusClasses[statusClassIndex(99)], 'none')
    assert.equal(statusClasses[statusClassIndex(600)], 'none')
    assert.equal(statusClasses[statusClassIndex(101)], '1xx')
    assert.equal(statusClasses[statusClassIndex(599)], '5xx')
  })
})
