import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { listProjects, type ProjectListing } from '../../../lib/server/projects.ts'

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-projects-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Create each folder (relative to `root`) with its parents. */
function mkdirs(root: string, ...dirs: string[]): void {
  for (const dir of dirs) fs.mkdirSync(path.join(root, dir), { recursive: true })
}

/** Project paths relative to the workspaces dir, '.' for the root itself. */
function relativePaths(listing: ProjectListing, root: string): string[] {
  return listing.projects.map((p) => path.relative(root, p.path) || '.')
}

describe('listProjects', () => {
  test('finds the root, repo entries and nested SF projects, and nothing else', async (t) => {
    const root = tempDir(t)
    mkdirs(
      root,
      '.git', // the workspaces root is itself a repo
      'alpha/.git',
      'plain/notes',
      'mono/packages/app/.sf', // a nested SF project two levels below its entry
      'mono/packages/lib/src',
      'sfonly/.sf',
      'node_modules/pkg/.git',
      'alpha/node_modules/dep/.sf',
    )
    const listing = await listProjects({ workspaceDir: path.join(root, 'alpha'), workspacesDir: root })

    assert.deepEqual(listing.projects, [
      { name: path.basename(root), path: root, kind: 'git', via: 'root', sf: false, current: false },
      { name: 'alpha', path: path.join(root, 'alpha'), kind: 'git', via: 'entry', sf: false, current: true },
      { name: 'app', path: path.join(root, 'mono/packages/app'), kind: 'sf', via: 'nested', sf: true, current: false },
      { name: 'sfonly', path: path.join(root, 'sfonly'), kind: 'sf', via: 'entry', sf: true, current: false },
    ])
    assert.deepEqual(listing.skipped, [])
    assert.deepEqual(listing.workspace, { path: path.join(root, 'alpha'), name: 'alpha', git: true, sf: false })
    assert.equal(listing.workspacesDir, root)
  })

  test('marks a repo that also holds SF state as git with sf set', async (t) => {
    const root = tempDir(t)
    mkdirs(root, 'both/.git', 'both/.sf')
    const listing = await listProjects({ workspaceDir: path.join(root, 'both'), workspacesDir: root })
    assert.deepEqual(
      listing.projects.map((p) => [p.name, p.kind, p.sf]),
      [['both', 'git', true]],
    )
  })

  test('looks for nested SF projects no deeper than nestedDepth', async (t) => {
    const root = tempDir(t)
    mkdirs(root, 'mono/packages/app/.sf', 'mono/tools/.sf')
    const shallow = await listProjects({ workspaceDir: root, workspacesDir: root, nestedDepth: 1 })
    assert.deepEqual(relativePaths(shallow, root), ['mono/tools'])
    const deep = await listProjects({ workspaceDir: root, workspacesDir: root, nestedDepth: 2 })
    assert.deepEqual(relativePaths(deep, root), ['mono/packages/app', 'mono/tools'])
  })

  test('skips a symlink that leads outside the root, with the reason, and never lists its target', async (t) => {
    const root = tempDir(t)
    const outside = fs.realpathSync(tempDir(t))
    mkdirs(outside, 'secret/.git')
    mkdirs(root, 'alpha/.git', 'mono')
    fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'escape'))
    fs.symlinkSync(outside, path.join(root, 'mono', 'deep-escape'))

    const listing = await listProjects({ workspaceDir: path.join(root, 'alpha'), workspacesDir: root })

    assert.deepEqual(relativePaths(listing, root), ['alpha'])
    assert.deepEqual(
      listing.skipped.map((s) => s.path),
      [path.join(root, 'escape'), path.join(root, 'mono', 'deep-escape')],
    )
    for (const { reason } of listing.skipped) assert.match(reason, /^leads outside SF_WORKSPACES_DIR\b/)
    assert.ok(!JSON.stringify(listing.projects).includes(outside), 'a project outside the root was listed')
  })

  test('lists a repo reached through a symlink inside the root once', async (t) => {
    const root = tempDir(t)
    mkdirs(root, 'alpha/.git')
    fs.symlinkSync(path.join(root, 'alpha'), path.join(root, 'zz-alias'))
    const listing = await listProjects({ workspaceDir: path.join(root, 'zz-alias'), workspacesDir: root })
    assert.deepEqual(relativePaths(listing, root), ['alpha'])
    assert.equal(listing.projects[0]?.current, true, 'the workspace given through the link is the same repo')
    assert.deepEqual(listing.skipped, [])
  })

  test('reports a dangling symlink as skipped', async (t) => {
    const root = tempDir(t)
    fs.symlinkSync(path.join(root, 'gone'), path.join(root, 'dangling'))
    const listing = await listProjects({ workspaceDir: root, workspacesDir: root })
    assert.deepEqual(listing.projects, [])
    assert.deepEqual(listing.skipped, [{ path: path.join(root, 'dangling'), reason: 'missing (a dangling link?)' }])
  })

  test('reports a folder it may not read and still lists the rest', async (t) => {
    const root = tempDir(t)
    mkdirs(root, 'ok/.git', 'locked/inner/.git', 'later/.sf')
    fs.chmodSync(root, 0o755) // mkdtemp makes it 0700; the unprivileged child must reach into it
    fs.chmodSync(path.join(root, 'locked'), 0o000)

    // Root reads every folder whatever its mode, so the listing runs as nobody when we are root.
    const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    const options = { workspaceDir: path.join(root, 'ok'), workspacesDir: root }
    const script = `
      const { listProjects } = await import(${JSON.stringify(new URL('../../../lib/server/projects.ts', import.meta.url).href)})
      process.stdout.write(JSON.stringify(await listProjects(${JSON.stringify(options)})))`
    let child
    try {
      child = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], {
        ...unprivileged,
        cwd: root,
        env: { TSX_DISABLE_CACHE: '1' },
        encoding: 'utf8',
        timeout: 30_000,
      })
    } finally {
      fs.chmodSync(path.join(root, 'locked'), 0o755)
    }
    assert.equal(child.status, 0, `the child failed: ${child.error?.message ?? child.stderr}`)
    const listing = JSON.parse(child.stdout) as ProjectListing

    assert.deepEqual(listing.skipped, [{ path: path.join(root, 'locked'), reason: 'unreadable (permission denied)' }])
    assert.deepEqual(relativePaths(listing, root), ['later', 'ok'])
    assert.equal(listing.projects.find((p) => p.name === 'ok')?.current, true)
  })
})

describe('listProjects, bounded', () => {
  test('lists a folder whose name starts with two dots: it is inside the root', async (t) => {
    const root = tempDir(t)
    mkdirs(root, '..foo/.git')
    const listing = await listProjects({ workspaceDir: root, workspacesDir: root })
    assert.deepEqual(relativePaths(listing, root), ['..foo'])
    assert.deepEqual(listing.skipped, [])
  })

  test('says what is missing, and does not fail, when the workspaces dir and the workspace are gone', async (t) => {
    const gone = path.join(tempDir(t), 'moved-away')
    const listing = await listProjects({ workspaceDir: path.join(gone, 'alpha'), workspacesDir: gone })
    assert.deepEqual(listing.projects, [])
    assert.deepEqual(listing.workspace, { path: path.join(gone, 'alpha'), name: 'alpha', git: false, sf: false })
    assert.ok(listing.problems.some((p) => p.startsWith(`SF_WORKSPACES_DIR ${gone} is missing`)), listing.problems.join('\n'))
    assert.ok(listing.problems.some((p) => p.startsWith(`the workspace ${path.join(gone, 'alpha')} is missing`)), listing.problems.join('\n'))
  })

  test('lists the rest when only the workspace is gone', async (t) => {
    const root = tempDir(t)
    mkdirs(root, 'beta/.git')
    const listing = await listProjects({ workspaceDir: path.join(root, 'alpha'), workspacesDir: root })
    assert.deepEqual(relativePaths(listing, root), ['beta'])
    assert.equal(listing.problems.length, 1, listing.problems.join('\n'))
    assert.match(listing.problems[0]!, /the workspace .*alpha is missing/)
  })

  test('enters each real folder once, however many links lead back to it', async (t) => {
    const root = tempDir(t)
    mkdirs(root, 'repo/.git', 'repo/pkg/.sf')
    for (let i = 0; i < 40; i++) fs.symlinkSync('.', path.join(root, 'repo', `loop${i}`))
    const started = performance.now()
    const listing = await listProjects({ workspaceDir: path.join(root, 'repo'), workspacesDir: root })
    const ms = performance.now() - started
    assert.deepEqual(relativePaths(listing, root), ['repo', 'repo/pkg'])
    // 40 links three levels deep were 40^3 folders to walk; once each, they are 42.
    assert.ok(ms < 2000, `took ${Math.round(ms)} ms`)
    assert.deepEqual(listing.problems, [])
  })

  test('stops at maxFolders and says so', async (t) => {
    const root = tempDir(t)
    for (let i = 0; i < 30; i++) mkdirs(root, `r${String(i).padStart(2, '0')}/.git`)
    const listing = await listProjects({ workspaceDir: root, workspacesDir: root, maxFolders: 10 })
    assert.equal(listing.projects.length, 10)
    assert.deepEqual(listing.problems, ['listing cut short: stopped after looking at 10 folders (the limit); what lies beyond is not listed'])
  })

  test('stops at the time limit and says so', async (t) => {
    const root = tempDir(t)
    for (let i = 0; i < 5; i++) mkdirs(root, `r${i}/.git`)
    const listing = await listProjects({ workspaceDir: root, workspacesDir: root, timeLimitMs: 0 })
    assert.equal(listing.projects.length, 0)
    assert.match(listing.problems.join('\n'), /listing cut short: stopped after \d+ ms \(the limit is 0 ms\)/)
  })

  test('lists at most maxListed projects and skipped folders, and says how many more it does not show', async (t) => {
    const root = tempDir(t)
    for (let i = 0; i < 7; i++) mkdirs(root, `r${i}/.git`)
    for (let i = 0; i < 4; i++) fs.symlinkSync(path.join(root, `gone${i}`), path.join(root, `link${i}`))
    const listing = await listProjects({ workspaceDir: root, workspacesDir: root, maxListed: 3 })
    assert.deepEqual(listing.projects.map((p) => p.name), ['r0', 'r1', 'r2'])
    assert.equal(listing.skipped.length, 3)
    assert.deepEqual(listing.problems, ['4 more projects not shown: the listing shows the first 3', '1 more skipped folder not shown: the listing shows the first 3'])
  })

  test('lists a repo in a folder whose name is not valid UTF-8, the name shown with a replacement character', async (t) => {
    const root = tempDir(t)
    const folder = Buffer.concat([Buffer.from(path.join(root, 'caf')), Buffer.from([0xe9])]) // "café" in Latin-1
    fs.mkdirSync(folder)
    fs.mkdirSync(Buffer.concat([folder, Buffer.from('/.git')]))
    const listing = await listProjects({ workspaceDir: root, workspacesDir: root })
    assert.deepEqual(listing.skipped, [])
    assert.deepEqual(listing.projects.map((p) => [p.name, p.path]), [['caf\uFFFD', path.join(root, 'caf\uFFFD')]])
  })
})
