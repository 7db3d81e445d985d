// Reading HAProxy's runtime API answers. The samples in test/support/haproxy were printed by Debian's
// haproxy 2.6 (`show stat`, and `show servers state sf` after `set server sf/a state drain`; `show info`,
// and `show stat` of a front started with slot a active and b its backup, after requests through it).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { repoRoot } from '../../../lib/paths.ts'
import { activeSlot, parseFrontInfo, parseSlots } from '../../../lib/front/runtime-api.ts'

const sample = (file: string) => fs.readFileSync(path.join(repoRoot, 'test', 'support', 'haproxy', file), 'utf8')
const state = sample('show-servers-state.txt')
const stat = sample('show-stat.csv')

/** The state sample with one server's operational and admin state changed. */
const withState = (slot: 'a' | 'b', op: number, admin: number) =>
  state.replace(new RegExp(`^(3 sf \\d ${slot} \\S+) \\d+ \\d+ `, 'm'), `$1 ${op} ${admin} `)

/** A servers-state answer with one server's weight (srv_uweight) set. */
const withWeight = (states: string, slot: 'a' | 'b', weight: number) =>
  states.replace(new RegExp(`^(3 sf \\d ${slot} \\S+ \\d+ \\d+) \\d+ `, 'm'), `$1 ${weight} `)

/** The stat sample with one column of one server set. */
const withColumn = (slot: 'a' | 'b', name: string, value: string) => withCounters(slot, { [name]: value })

/** The stat sample with one server's columns set (current sessions, total, errors, check status). */
function withCounters(slot: 'a' | 'b', c: Record<string, number | string>, base = stat): string {
  const [header, ...rows] = base.split('\n')
  const columns = header!.replace(/^# /, '').split(',')
  return [header, ...rows.map((row) => {
    const f = row.split(',')
    if (f[0] !== 'sf' || f[1] !== slot) return row
    for (const [name, value] of Object.entries(c)) f[columns.indexOf(name)] = String(value)
    return f.join(',')
  })].join('\n')
}

describe('parseSlots', () => {
  test('reads a drained slot and a slot held out by the config, neither up', () => {
    assert.deepEqual(parseSlots(state, stat), [
      { slot: 'a', addr: '127.0.0.1', up: false, checked: false, maint: false, draining: true, backup: false, sessions: 0, total: 0, errors: 0, weight: 1 },
      { slot: 'b', addr: '127.0.0.1', up: false, checked: false, maint: true, draining: false, backup: false, sessions: 0, total: 0, errors: 0, weight: 1 },
    ])
  })

  test('a slot made ready keeps only the config bit, which does not hold it out', () => {
    const [, b] = parseSlots(withState('b', 2, 4), stat)
    assert.deepEqual({ up: b!.up, maint: b!.maint, draining: b!.draining }, { up: true, maint: false, draining: false })
  })

  test('a slot is checked only once a check has passed, not while it is up before its first check', () => {
    const leaving = parseSlots(withState('b', 2, 12), withColumn('b', 'check_status', 'INI'))[1]!
    assert.deepEqual({ up: leaving.up, checked: leaving.checked }, { up: true, checked: false })
    const passed = parseSlots(withState('b', 2, 12), withColumn('b', 'check_status', 'L7OK'))[1]!
    assert.deepEqual({ up: passed.up, checked: passed.checked, draining: passed.draining }, { up: true, checked: true, draining: true })
  })

  test('a name that does not resolve holds a slot out', () => {
    assert.equal(parseSlots(withState('a', 0, 0x20), stat)[0]!.maint, true)
  })

  test('counts sessions now, all served, and connection plus response errors', () => {
    const [a] = parseSlots(state, withCounters('a', { scur: 3, stot: 120, econ: 1, eresp: 2 }))
    assert.deepEqual({ sessions: a!.sessions, total: a!.total, errors: a!.errors }, { sessions: 3, total: 120, errors: 3 })
  })

  test('a slot the answers do not name is held out', () => {
    const [a] = parseSlots('', '')
    assert.deepEqual(a, { slot: 'a', addr: '-', up: false, checked: false, maint: true, draining: false, backup: false, sessions: 0, total: 0, errors: 0, weight: 0 })
  })
})

describe('activeSlot', () => {
  test('is the slot neither held out nor draining, or none', () => {
    assert.equal(activeSlot(parseSlots(state, stat)), null)
    assert.equal(activeSlot(parseSlots(withState('b', 2, 4), stat)), 'b')
    assert.equal(activeSlot(parseSlots(withState('a', 2, 0), stat)), 'a')
  })

  test('of two open slots after a restart, is the one the config made active, not its backup', () => {
    const backupStat = sample('show-stat-backup.csv')
    const both = withState('a', 2, 0).replace(/^(3 sf \d b \S+) \d+ \d+ /m, '$1 2 0 ')
    const slots = parseSlots(both, backupStat)
    assert.deepEqual(slots.map((s) => s.backup), [false, true])
    assert.equal(activeSlot(slots), 'a')
    // Slot a's server did not come back (its name does not resolve): the backup serves.
    assert.equal(activeSlot(parseSlots(both.replace(/^(3 sf \d a \S+) \d+ \d+ /m, '$1 0 32 '), backupStat)), 'b')
  })

  test('of two open peers, is the one up, then the one with the larger share (a canary step a killed run left)', () => {
    const both = withState('a', 2, 0).replace(/^(3 sf \d b \S+) \d+ \d+ /m, '$1 2 0 ')
    const shares = (states: string, a: number, b: number) => withWeight(withWeight(states, 'a', a), 'b', b)
    assert.equal(activeSlot(parseSlots(shares(both, 10, 90), stat)), 'b')
    assert.equal(activeSlot(parseSlots(shares(both, 90, 10), stat)), 'a')
    const aDown = withState('a', 0, 0).replace(/^(3 sf \d b \S+) \d+ \d+ /m, '$1 2 0 ')
    assert.equal(activeSlot(parseSlots(shares(aDown, 90, 10), stat)), 'b')
  })

  test('reads the weight each slot was set, which show stat does not follow while a slot is held out', () => {
    assert.deepEqual(parseSlots(withWeight(state, 'b', 37), stat).map((s) => s.weight), [1, 37])
  })
})

describe('parseFrontInfo', () => {
  test('reads the version, the worker pid, whether it is stopping, and the 2xx and 5xx it answered', () => {
    const info = sample('show-info.txt')
    assert.deepEqual(parseFrontInfo(info, sample('show-stat-backup.csv')), { version: '2.6.12-1+deb12u4', pid: 8, stopping: false, answered2xx: 474, answered5xx: 0 })
    const [header, ...rows] = sample('show-stat-backup.csv').split('\n')
    const columns = header!.replace(/^# /, '').split(',')
    const counted = [header, ...rows.map((r) => {
      const f = r.split(',')
      if (f[1] === 'FRONTEND') (f[columns.indexOf('hrsp_2xx')] = '7'), (f[columns.indexOf('hrsp_5xx')] = '1')
      return f.join(',')
    })].join('\n')
    const stopping = parseFrontInfo(info.replace('Stopping: 0', 'Stopping: 1'), counted)
    assert.deepEqual([stopping.stopping, stopping.answered2xx, stopping.answered5xx], [true, 7, 1])
  })
})
