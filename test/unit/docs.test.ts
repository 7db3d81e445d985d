// The README's tables stay true to the code: every variable and every npm script is documented.
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
