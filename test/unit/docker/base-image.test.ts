import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  baseEtcFiles,
  defaultBaseTag,
  findOnPath,
  parseLdd,
  planCopies,
  renderBaseDockerfile,
} from '../../../lib/docker/base-image.ts'

describe('defaultBaseTag', () => {
  test('is sf-node-base:<node version without v>-local', () => {
    assert.equal(defaultBaseTag('v20.19.0'), 'sf-node-base:20.19.0-local')
    assert.equal(defaultBaseTag(), `sf-node-base:${process.version.slice(1)}-local`)
  })
})

describe('parseLdd', () => {
  test('lists every library with a path, the dynamic loader included, and skips the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd5b9f2000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f89db800000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f89db53e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f89dba97000)',
      '',
    ].join('\n')
    assert.deepEqual(parseLdd(output), {
      libraries: ['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'],
      missing: [],
    })
  })

  test('reads musl output, where libc is the loader', () => {
    const output = '\t/lib/ld-musl-x86_64.so.1 (0x7f1c2d3e4000)\n\tlibc.musl-x86_64.so.1 => /lib/ld-musl-x86_64.so.1 (0x7f1c2d3e4000)\n'
    assert.deepEqual(parseLdd(output).libraries, ['/lib/ld-musl-x86_64.so.1', '/lib/ld-musl-x86_64.so.1'])
  })

  test('names the libraries that are not found', () => {
    const output = '\tlibpcre2-8.so.0 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f5473c1e000)\n'
    assert.deepEqual(parseLdd(output), { libraries: ['/lib/x86_64-linux-gnu/libc.so.6'], missing: ['libpcre2-8.so.0'] })
  })
})

describe('planCopies', () => {
  test('puts each program where the image wants it, each library at its own path, shared ones once', () => {
    const libc = '/lib/x86_64-linux-gnu/libc.so.6'
    const loader = '/lib64/ld-linux-x86-64.so.2'
    const copies = planCopies(
      [
        { host: '/opt/node/bin/node', image: '/usr/local/bin/node', libraries: [libc, loader] },
        { host: '/usr/bin/git', image: '/usr/bin/git', libraries: ['/lib/x86_64-linux-gnu/libz.so.1', libc, loader] },
        { host: '/usr/local/bin/docker', image: '/usr/local/bin/docker', libraries: [] },
      ],
      [{ from: '/etc/ssl/certs/ca-certificates.crt', to: '/etc/ssl/certs/ca-certificates.crt' }],
    )
    assert.deepEqual(copies, [
      { from: '/opt/node/bin/node', to: '/usr/local/bin/node' },
      { from: libc, to: libc },
      { from: loader, to: loader },
      { from: '/usr/bin/git', to: '/usr/bin/git' },
      { from: '/lib/x86_64-linux-gnu/libz.so.1', to: '/lib/x86_64-linux-gnu/libz.so.1' },
      { from: '/usr/local/bin/docker', to: '/usr/local/bin/docker' },
      { from: '/etc/ssl/certs/ca-certificates.crt', to: '/etc/ssl/certs/ca-certificates.crt' },
    ])
  })
})

describe('the generated image files', () => {
  test('the Dockerfile copies the staged root onto scratch and sets PATH and SSL_CERT_FILE', () => {
    const lines = renderBaseDockerfile().split('\n').filter((l) => l && !l.startsWith('#'))
    assert.deepEqual(lines, [
      'FROM scratch',
      'COPY rootfs/ /',
      'COPY --chown=1000:1000 home-node/ /home/node/',
      'ENV PATH=/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
      'CMD ["node"]',
    ])
  })

  test('passwd and group hold root and node with uid and gid 1000', () => {
    const files = baseEtcFiles()
    assert.deepEqual(files['/etc/passwd']?.trim().split('\n'), [
      'root:x:0:0:root:/root:/sbin/nologin',
      'node:x:1000:1000:node:/home/node:/sbin/nologin',
    ])
    assert.deepEqual(files['/etc/group']?.trim().split('\n'), ['root:x:0:', 'node:x:1000:'])
  })
})

describe('findOnPath', () => {
  test('returns the first executable file of that name on PATH, like which', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-which-'))
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
    for (const folder of ['a', 'b', 'c', 'd']) fs.mkdirSync(path.join(dir, folder))
    fs.mkdirSync(path.join(dir, 'a', 'tool'))
    fs.writeFileSync(path.join(dir, 'b', 'tool'), '', { mode: 0o644 })
    fs.writeFileSync(path.join(dir, 'c', 'tool'), '', { mode: 0o755 })
    fs.writeFileSync(path.join(dir, 'd', 'tool'), '', { mode: 0o755 })
    const PATH = ['a', 'b', 'c', 'd'].map((f) => path.join(dir, f)).join(path.delimiter)
    assert.equal(findOnPath('tool', { PATH }), path.join(dir, 'c', 'tool'))
    assert.equal(findOnPath('missing', { PATH }), undefined)
    assert.equal(findOnPath('tool', {}), undefined)
  })
})
