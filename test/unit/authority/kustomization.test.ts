// The one edit a GitOps promotion makes to an overlay: text in, text out.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { pinKustomizationImage } from '../../../lib/authority/kustomization.ts'
import { ConfigError } from '../../../lib/errors.ts'
import { repoRoot } from '../../../lib/paths.ts'

const digest = `sha256:${'ab'.repeat(32)}`
const pin = { name: 'sf-server', newName: '127.0.0.1:5000/sf/sf-server', digest }

const overlay = [
  '# The prod overlay. Argo CD applies it.',
  'apiVersion: kustomize.config.k8s.io/v1beta1',
  'kind: Kustomization',
  'namespace: sf-prod   # where it runs',
  'resources:',
  '  - ../../base',
  'images:',
  '  - name: proxy',
  '    newTag: "2.9"',
  '  # the server, set by npm run promote',
  '  - name: sf-server',
  '    newName: registry.example/sf/sf-server',
  '    newTag: 0.1.0-abc',
  '',
].join('\n')

describe('pinning the image of a kustomization', () => {
  test('sets newName and digest of an entry with a tag, and drops the tag; the comments and every other line stay', () => {
    const pinned = pinKustomizationImage(overlay, pin, 'prod/kustomization.yaml')
    assert.equal(pinned.changed, true)
    assert.equal(pinned.before, 'registry.example/sf/sf-server:0.1.0-abc')
    assert.equal(
      pinned.text,
      // yaml's output evens out the spaces before a comment; nothing else moves.
      overlay.replace('sf-prod   #', 'sf-prod #').replace('    newName: registry.example/sf/sf-server\n    newTag: 0.1.0-abc\n', `    newName: 127.0.0.1:5000/sf/sf-server\n    digest: ${digest}\n`),
    )
  })

  test('once it names a digest, a later pin replaces just the two values, the spaces before a comment included', () => {
    const first = pinKustomizationImage(overlay, pin, 'k.yaml').text.replace('namespace: sf-prod # where it runs', 'namespace: sf-prod   # where it runs')
    const next = { ...pin, newName: 'registry.example/sf/sf-server', digest: `sha256:${'cd'.repeat(32)}` }
    const pinned = pinKustomizationImage(first.replace(`digest: ${digest}`, `digest: "${digest}"  # promoted`), next, 'k.yaml')
    assert.equal(pinned.before, `127.0.0.1:5000/sf/sf-server@${digest}`)
    assert.equal(pinned.text, first.replace('newName: 127.0.0.1:5000/sf/sf-server', 'newName: registry.example/sf/sf-server').replace(`digest: ${digest}`, `digest: ${next.digest}  # promoted`))
  })

  test('changes nothing when the entry names that repository and digest already', () => {
    const once = pinKustomizationImage(overlay, pin, 'k.yaml').text
    assert.deepEqual(pinKustomizationImage(once, pin, 'k.yaml'), { text: once, changed: false, before: `127.0.0.1:5000/sf/sf-server@${digest}` })
  })

  test("edits the repo's own overlays in place, only the two lines of the image", () => {
    for (const name of ['test', 'prod']) {
      const text = fs.readFileSync(path.join(repoRoot, 'deploy', 'k8s', 'overlays', name, 'kustomization.yaml'), 'utf8')
      const changed = pinKustomizationImage(text, pin, name).text.split('\n').filter((line, i) => line !== text.split('\n')[i])
      assert.deepEqual(changed, ['    newName: 127.0.0.1:5000/sf/sf-server', `    digest: ${digest}`])
    }
  })

  test('refuses a kustomization naming no such image, saying which it names and what to set', () => {
    assert.throws(
      () => pinKustomizationImage(overlay, { ...pin, name: 'sf' }, 'prod/kustomization.yaml'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === 'prod/kustomization.yaml names no image sf (its images: proxy, sf-server): set gitops.image in the targets file to the name the overlay\'s images entry uses, or add an entry with name: sf to it',
    )
    assert.throws(() => pinKustomizationImage('kind: Kustomization\nresources: [../../base]\n', pin, 'k.yaml'), /k\.yaml names no image sf-server \(it has no images: list\)/)
  })

  test('refuses text that is not YAML, or not a mapping', () => {
    assert.throws(() => pinKustomizationImage('images: [', pin, 'k.yaml'), (e: unknown) => e instanceof ConfigError && /^k\.yaml is not YAML \(.*\): fix it in the GitOps repository$/.test(e.message))
    assert.throws(() => pinKustomizationImage('- a\n- b\n', pin, 'k.yaml'), /k\.yaml is not a kustomization/)
  })
})
