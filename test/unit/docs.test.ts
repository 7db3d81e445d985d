// The README's tables stay true to the code (every variable and every npm script is documented), and
// the Grafana dashboard graphs only metrics that are served.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { sfVariables } from '../../lib/env-variables.ts'
import { repoRoot } from '../../lib/paths.ts'

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8')

test('the README lists every SF_* variable with its default', () => {
  for (const [name, variable] of Object.entries(sfVariables)) {
    assert.ok(readme.includes(`| \`${name}\` | ${variable.defaultText} |`), `README.md has no row for ${name} with default ${variable.defaultText}`)
  }
})

test('the README names every npm script', () => {
  const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>)
  for (const script of scripts) {
    assert.ok(readme.includes(script === 'start' ? 'npm start' : script === 'test' ? 'npm test' : `npm run ${script}`) || readme.includes(`\`${script}\``), `README.md does not mention ${script}`)
  }
})

test('the Grafana dashboard graphs only metrics the server, prom-client and the front serve', () => {
  const dashboard = fs.readFileSync(path.join(repoRoot, 'docs', 'grafana-dashboard.json'), 'utf8')
  const exprs = [...dashboard.matchAll(/"expr": "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string)
  assert.ok(exprs.length > 10, `found only ${exprs.length} queries`)
  const served = fs.readFileSync(path.join(repoRoot, 'web', 'server', 'metrics.ts'), 'utf8')
  const defaults = path.join(repoRoot, 'web', 'node_modules', 'prom-client', 'lib', 'metrics')
  const promClient = fs.readdirSync(defaults).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(defaults, f), 'utf8')).join('\n')
  const front = fs.readFileSync(path.join(repoRoot, 'test', 'support', 'haproxy', 'exporter-names.txt'), 'utf8').split('\n')
  for (const name of new Set(exprs.flatMap((e) => e.match(/\b(sf|haproxy|process|nodejs)_\w+/g) ?? []))) {
    const known = name.startsWith('sf_')
      ? served.includes(`name: '${name.replace(/_(bucket|count|sum)$/, '')}'`)
      : name.startsWith('haproxy_')
        ? front.includes(name)
        : promClient.includes(`'${name}'`)
    assert.ok(known, `docs/grafana-dashboard.json graphs ${name}, which nothing serves`)
  }
})
