// Promoting through GitOps with real git: a bare repository stands for the one Argo CD or Flux
// watches, a clone of it is the target's checkout. What the promotion pushed is read from the bare
// repository; every refusal leaves it (and the checkout) as it was. --wait polls a small HTTP server.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { test } from 'node:test'
import { GitopsError } from '../../../lib/authority/errors.ts'
import { promoteGitops, type GitopsOptions } from '../../../lib/authority/gitops.ts'
import type { ExpectedRelease } from '../../../lib/authority/probes.ts'
import type { GitopsTarget } from '../../../lib/authority/targets.ts'
import { ConfigError, ProbeError } from '../../../lib/errors.ts'
import { createProgress } from '../../../lib/progress.ts'
import { tempDir } from '../../support/server.ts'

const overlay = 'deploy/k8s/overlays/prod'
const file = `${overlay}/kustomization.yaml`
const repository = '127.0.0.1:5000/sf/sf-server'
const oldDigest = `sha256:${'0'.repeat(64)}`
const expected: ExpectedRelease = { commit: 'c0ffee'.padEnd(40, '1'), buildId: '20260101T000000Z-abc', digest: `sha256:${'ab'.repeat(32)}` }
const kustomization = [
  '# prod: Argo CD applies this overlay',
  'apiVersion: kustomize.config.k8s.io/v1beta1',
  'kind: Kustomization',
  'resources:',
  '  - ../../base',
  'images:',
  '  - name: sf-server',
  '    newName: registry.example/sf/sf-server',
  `    digest: ${oldDigest}   # set by npm run promote`,
  '',
].join('\n')

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=sf tests', '-c', 'user.email=tests@sf.invalid', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

/** A bare repository with the overlay on main, and a clone of it as the checkout. */
function gitopsRepo() {
  const dir = tempDir('gitops')
  const bare = path.join(dir, 'infra.git')
  const checkout = path.join(dir, 'checkout')
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare)
  git(dir, 'clone', '--quiet', bare, checkout)
  fs.mkdirSync(path.join(checkout, overlay), { recursive: true })
  fs.writeFileSync(path.join(checkout, file), kustomization)
  git(checkout, 'add', '.')
  git(checkout, 'commit', '--quiet', '-m', 'the prod overlay')
  git(checkout, 'push', '--quiet', 'origin', 'HEAD:main')
  git(checkout, 'branch', '--quiet', '--set-upstream-to=origin/main')
  const head = () => git(bare, 'rev-parse', 'main')
  return { dir, bare, checkout, head }
}

function promotion(checkout: string, more: Partial<GitopsOptions> & { gitops?: Partial<GitopsTarget['gitops']>; url?: string } = {}) {
  const lines: string[] = []
  const target: GitopsTarget = { kind: 'kubernetes', gitops: { checkout, overlay, image: 'sf-server', ...more.gitops }, url: more.url ?? 'http://127.0.0.1:9' }
  const options: GitopsOptions = {
    env: process.env,
    progress: createProgress((line) => lines.push(line)),
    identity: { name: 'sf-promote', email: 'sf-promote@localhost' },
    wait: false,
    waitTimeoutMs: 5000,
    command: 'npm run promote',
    ...more,
  }
  return { lines, run: () => promoteGitops(target, 'prod', { repository, expected }, options) }
}

test('commits the digest into the overlay and pushes it to the upstream; a second run commits nothing', async () => {
  const repo = gitopsRepo()
  const first = promotion(repo.checkout)
  const outcome = await first.run()
  assert.deepEqual(outcome, { commit: repo.head(), pushed: true, running: false })
  assert.equal(
    git(repo.bare, 'show', `main:${file}`),
    kustomization.replace('registry.example/sf/sf-server', repository).replace(oldDigest, expected.digest).trim(),
  )
  assert.equal(
    git(repo.bare, 'log', '-1', '--format=%an <%ae>%n%B', 'main'),
    `sf-promote <sf-promote@localhost>\nsf-server: promote ${expected.digest} (commit ${expected.commit}, build ${expected.buildId}) to prod\n\n${repository}@${expected.digest}\nCommitted by npm run promote.`,
  )
  assert.deepEqual(git(repo.bare, 'diff', '--stat', 'main~1', 'main').split('\n').slice(-1), [' 1 file changed, 2 insertions(+), 2 deletions(-)'])
  assert.ok(first.lines.some((l) => l.includes('Argo CD or Flux applies') && l.includes('not waited for')), first.lines.join('\n'))

  const again = promotion(repo.checkout)
  assert.deepEqual(await again.run(), { commit: outcome.commit, pushed: false, running: false })
  assert.equal(repo.head(), outcome.commit)
  assert.ok(again.lines.some((l) => l.includes('names it already: nothing to commit')), again.lines.join('\n'))
})

test('fetches and fast-forwards to what others pushed meanwhile, and commits on top of it', async () => {
  const repo = gitopsRepo()
  const other = path.join(repo.dir, 'other')
  git(repo.dir, 'clone', '--quiet', repo.bare, other)
  fs.writeFileSync(path.join(other, 'README.md'), 'someone else\n')
  git(other, 'add', '.')
  git(other, 'commit', '--quiet', '-m', 'someone else')
  git(other, 'push', '--quiet')
  const theirs = repo.head()
  await promotion(repo.checkout).run()
  assert.equal(git(repo.bare, 'rev-parse', 'main~1'), theirs)
  assert.equal(git(repo.bare, 'show', 'main:README.md'), 'someone else')
})

/** Run a promotion that must be refused; the bare repository's main and the checkout's HEAD stay where they were. */
async function refused(repo: ReturnType<typeof gitopsRepo>, promote: () => Promise<unknown>, check: (error: unknown) => boolean) {
  const [pushed, local] = [repo.head(), git(repo.checkout, 'rev-parse', 'HEAD')]
  await assert.rejects(promote, (error: unknown) => {
    assert.ok(check(error), String(error))
    return true
  })
  assert.equal(repo.head(), pushed, 'nothing was pushed')
  assert.equal(git(repo.checkout, 'rev-parse', 'HEAD'), local, 'nothing was committed')
}

test('refuses a dirty checkout, naming what is not committed', async () => {
  const repo = gitopsRepo()
  fs.appendFileSync(path.join(repo.checkout, file), '# a local edit\n')
  await refused(repo, promotion(repo.checkout).run, (e) => e instanceof ConfigError && /checkout has changes that are not committed \(M deploy\/k8s\/overlays\/prod\/kustomization\.yaml\): commit, stash or remove them first/.test(e.message))
  assert.match(fs.readFileSync(path.join(repo.checkout, file), 'utf8'), /# a local edit/, 'the local edit is left alone')
})

test('refuses a folder that is not a git checkout, and a branch with no upstream', async () => {
  const repo = gitopsRepo()
  const plain = tempDir('not-git')
  await assert.rejects(promotion(plain).run(), (e: unknown) => e instanceof ConfigError && /^targets\.prod\.gitops\.checkout: .* is not a git checkout \(.*\): clone the repository/.test(e.message))
  await assert.rejects(promotion(path.join(plain, 'absent')).run(), (e: unknown) => e instanceof ConfigError && /is not a folder: clone the repository Argo CD or Flux applies there/.test(e.message))
  git(repo.checkout, 'branch', '--unset-upstream')
  await refused(repo, promotion(repo.checkout).run, (e) => e instanceof ConfigError && /^branch main of .* has no upstream to push to: set it \(git -C .* branch --set-upstream-to=origin\/main\)$/.test(e.message))
})

test('refuses a checkout with commits of its own that the upstream has not', async () => {
  const repo = gitopsRepo()
  fs.writeFileSync(path.join(repo.checkout, 'local.txt'), 'mine\n')
  git(repo.checkout, 'add', '.')
  git(repo.checkout, 'commit', '--quiet', '-m', 'not pushed')
  await refused(repo, promotion(repo.checkout).run, (e) => e instanceof ConfigError && /main in .* has commits origin\/main has not .* cannot fast-forward: push or drop them first/.test(e.message))
})

test('refuses an overlay with no kustomization.yaml, and one naming no such image', async () => {
  const repo = gitopsRepo()
  await refused(repo, promotion(repo.checkout, { gitops: { overlay: 'deploy/k8s/overlays/staging' } }).run, (e) =>
    e instanceof ConfigError && /^targets\.prod\.gitops\.overlay: origin\/main has no deploy\/k8s\/overlays\/staging\/kustomization\.yaml in .*: point overlay at the folder/.test(e.message),
  )
  await refused(repo, promotion(repo.checkout, { gitops: { image: 'sf' } }).run, (e) =>
    e instanceof ConfigError && /names no image sf \(its images: sf-server\): set gitops\.image in the targets file/.test(e.message),
  )
  assert.equal(git(repo.checkout, 'status', '--porcelain'), '')
})

test('a push the upstream rejects is reset away: nothing pushed, the checkout as it was', async () => {
  const repo = gitopsRepo()
  const hook = path.join(repo.bare, 'hooks', 'pre-receive')
  fs.writeFileSync(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n', { mode: 0o755 })
  await refused(repo, promotion(repo.checkout).run, (e) =>
    e instanceof GitopsError && /^origin\/main refused the push \(.*main is protected.*\): nothing was pushed, the local commit is reset away \(back at [0-9a-f]{12}\); run npm run promote again/.test(e.message),
  )
  assert.equal(git(repo.checkout, 'status', '--porcelain'), '')
  assert.equal(fs.readFileSync(path.join(repo.checkout, file), 'utf8'), kustomization)
})

/** /api/version reports the old release `oldFor` times, then the expected one (never, with Infinity). */
async function versionServer(t: { after: (fn: () => void) => void }, oldFor: number) {
  let asked = 0
  const server = http.createServer((req, res) => {
    const digest = req.url === '/api/version' && asked++ >= oldFor ? expected.digest : oldDigest
    const body = req.url === '/api/version' ? { manifest: { git: { commit: expected.commit }, webHost: { buildId: expected.buildId } }, runningImage: { digest } } : { ok: true }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked }
}

test('--wait polls the url until it reports the digest that was pushed, saying what it reported meanwhile', async (t) => {
  const repo = gitopsRepo()
  const server = await versionServer(t, 3)
  const waiting = promotion(repo.checkout, { wait: true, url: server.url })
  assert.deepEqual(await waiting.run(), { commit: repo.head(), pushed: true, running: true })
  assert.ok(server.asked() >= 4)
  const notes = waiting.lines.filter((l) => l.includes(`${server.url} reports`))
  assert.deepEqual(notes.map((l) => l.trim()), [`${server.url} reports digest ${oldDigest} instead of ${expected.digest}`], 'one note for each new thing it reports')
})

test('--wait gives up at its timeout, naming what the url last reported and that Argo CD or Flux applies the commit', async (t) => {
  const repo = gitopsRepo()
  const server = await versionServer(t, Infinity)
  const started = Date.now()
  await assert.rejects(promotion(repo.checkout, { wait: true, waitTimeoutMs: 1500, url: server.url }).run(), (e: unknown) => {
    assert.ok(e instanceof ProbeError)
    assert.match(e.message, new RegExp(`^${server.url}/api/version still reports digest ${oldDigest} instead of ${expected.digest} after 1.5 s; [0-9a-f]{12} is in origin/main, and Argo CD or Flux applies it: see whether it synced .* then run npm run promote -- --wait again`))
    return true
  })
  assert.ok(Date.now() - started < 5000)
  assert.equal(git(repo.bare, 'log', '-1', '--format=%s', 'main').startsWith('sf-server: promote'), true, 'the commit stays pushed')
})
