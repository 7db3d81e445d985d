// HAProxy's runtime API over the front's admin socket: one command a connection, answered in text.
// The switch uses it (no reload, no restart), and status reads the servers and their sessions from it.
import net from 'node:net'
import { DockerError } from '../errors.ts'
import { slots, type Slot } from './definition.ts'

export async function frontCommand(socket: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = ''
    const connection = net.connect(socket)
    const timer = setTimeout(() => connection.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    connection.setEncoding('utf8')
    connection.on('connect', () => connection.end(`${command}\n`))
    connection.on('data', (chunk: string) => (answer += chunk))
    connection.on('close', () => {
      clearTimeout(timer)
      resolve(answer)
    })
    connection.on('error', (error) => {
      clearTimeout(timer)
      reject(new DockerError(`the front's admin socket ${socket} did not take "${command}" (${error.message}): is the front's container running? (docker ps --all shows it)`))
    })
  })
}

/** What the front thinks of one slot. */
export interface SlotState {
  slot: Slot
  addr: string
  /** Its health checks pass (operational state running). */
  up: boolean
  /** A check has run and passed: a server leaving maintenance is up before its first check. */
  checked: boolean
  /** Held out by hand or because its name does not resolve. */
  maint: boolean
  draining: boolean
  /** Started as the active slot's backup: it takes requests only while no other slot can. */
  backup: boolean
  /** Requests it is serving now, and all it has served. */
  sessions: number
  total: number
  /** Connection and response errors it has caused. */
  errors: number
  /** Its share of requests against the other slot's (fullWeight alone; a canary step splits it). */
  weight: number
}

// srv_admin_state bits (HAProxy's server.h): FMAINT 0x01, IMAINT 0x02, RMAINT 0x20 hold a server out;
// FDRAIN 0x08 and IDRAIN 0x10 drain it. CMAINT (0x04) only remembers the config said "disabled".
const maintBits = 0x01 | 0x02 | 0x20
const drainBits = 0x08 | 0x10

/** Parse `show servers state sf` and `show stat` into one state per slot. Pure. */
export function parseSlots(serversState: string, stat: string): SlotState[] {
  const states = new Map<string, { addr: string; op: number; admin: number; weight: number }>()
  for (const line of serversState.split('\n')) {
    const f = line.trim().split(/\s+/)
    // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight ... The weight set
    // (uweight), not show stat's effective one, which a server in maintenance does not follow.
    if (f.length > 7 && f[1] === 'sf' && /^\d+$/.test(f[0]!)) states.set(f[3]!, { addr: f[4]!, op: Number(f[5]), admin: Number(f[6]), weight: Number(f[7]) })
  }
  const [header, ...rows] = stat.split('\n').filter((l) => l.trim())
  const columns = (header ?? '').replace(/^# /, '').split(',')
  const column = (row: string[], name: string) => Number(row[columns.indexOf(name)] || 0)
  const counters = new Map<string, { sessions: number; total: number; errors: number; checked: boolean; backup: boolean }>()
  for (const row of rows.map((r) => r.split(','))) {
    if (row[0] !== 'sf') continue
    const checked = /^L\dOK/.test(row[columns.indexOf('check_status')] ?? '')
    const backup = column(row, 'bck') === 1
    counters.set(row[1]!, { sessions: column(row, 'scur'), total: column(row, 'stot'), errors: column(row, 'econ') + column(row, 'eresp'), checked, backup })
  }
  return slots.map((slot) => {
    const s = states.get(slot) ?? { addr: '-', op: 0, admin: maintBits, weight: 0 }
    const { checked, ...c } = counters.get(slot) ?? { sessions: 0, total: 0, errors: 0, checked: false, backup: false }
    return { slot, addr: s.addr, up: s.op === 2, checked: s.op === 2 && checked, maint: (s.admin & maintBits) !== 0, draining: (s.admin & drainBits) !== 0, weight: s.weight, ...c }
  })
}

export async function readSlots(socket: string): Promise<SlotState[]> {
  return parseSlots(await frontCommand(socket, 'show servers state sf'), await frontCommand(socket, 'show stat'))
}

/**
 * The slot the front sends new requests to: neither held out nor draining. Of two such: the one that is
 * not a backup (a front made before canary steps started the other slot as a backup), then the one up,
 * then the one with the larger share (a canary step left behind by a killed run).
 */
export function activeSlot(states: SlotState[]): Slot | null {
  const rank = (s: SlotState) => [s.backup ? 0 : 1, s.up ? 1 : 0, s.weight]
  const open = states.filter((s) => !s.maint && !s.draining)
  const better = (a: SlotState, b: SlotState) => {
    const [x, y] = [rank(a), rank(b)]
    const at = x.findIndex((v, i) => v !== y[i])
    return at >= 0 && x[at]! > y[at]! ? a : b
  }
  return open.length ? open.reduce((a, b) => better(b, a)).slot : null
}

/** Set a slot's weight (its share of requests against the other slot's); 0 to 256. */
export async function setSlotWeight(socket: string, slot: Slot, weight: number): Promise<void> {
  const answer = (await frontCommand(socket, `set server sf/${slot} weight ${weight}`)).trim()
  if (answer) throw new DockerError(`the front refused "set server sf/${slot} weight ${weight}": ${answer}`)
}

/** What a front says of itself on its admin socket (show info). */
export interface FrontInfo {
  version: string
  /** Its worker's pid inside its container. */
  pid: number
  /** It has been told to stop (soft stop): it holds no listener any more and finishes what it serves. */
  stopping: boolean
  /** Requests it has answered with 2xx and 5xx since it started (its frontend's counters). */
  answered2xx: number
  answered5xx: number
}

/** Parse `show info` and `show stat` into FrontInfo. Pure. */
export function parseFrontInfo(info: string, stat: string): FrontInfo {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(info)?.[1]?.trim() ?? ''
  const [header, ...rows] = stat.split('\n').filter((l) => l.trim())
  const columns = (header ?? '').replace(/^# /, '').split(',')
  const frontend = rows.map((r) => r.split(',')).find((r) => r[0] === 'sf' && r[1] === 'FRONTEND') ?? []
  const column = (name: string) => Number(frontend[columns.indexOf(name)] || 0)
  return { version: field('Version'), pid: Number(field('Pid')), stopping: field('Stopping') === '1', answered2xx: column('hrsp_2xx'), answered5xx: column('hrsp_5xx') }
}

export async function readFrontInfo(socket: string, timeoutMs = 2000): Promise<FrontInfo> {
  return parseFrontInfo(await frontCommand(socket, 'show info', timeoutMs), await frontCommand(socket, 'show stat', timeoutMs))
}

export async function setSlotState(socket: string, slot: Slot, state: 'ready' | 'drain' | 'maint'): Promise<void> {
  const answer = (await frontCommand(socket, `set server sf/${slot} state ${state}`)).trim()
  if (answer) throw new DockerError(`the front refused "set server sf/${slot} state ${state}": ${answer}`)
}

/** Wait until the front's view of `slot` passes `test`; false at the deadline. */
export async function waitForSlot(socket: string, slot: Slot, test: (s: SlotState) => boolean, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs
  for (let wait = 50; Date.now() < deadline; wait = Math.min(wait * 2, 500)) {
    const state = (await readSlots(socket)).find((s) => s.slot === slot)
    if (state && test(state)) return true
    await new Promise((r) => setTimeout(r, wait))
  }
  return false
}

/**
 * Let a slot take traffic only once the front's own check has passed: out of maintenance into drain
 * (checked, sent nothing), then ready. Leaving maintenance straight for ready, a server counts as up
 * before its first check and would get requests whatever its /api/ready says. False at the deadline,
 * with the slot held out again.
 */
export async function admitSlot(socket: string, slot: Slot, deadlineMs: number): Promise<boolean> {
  await setSlotState(socket, slot, 'drain')
  if (!(await waitForSlot(socket, slot, (s) => s.checked, deadlineMs))) {
    await setSlotState(socket, slot, 'maint')
    return false
  }
  await setSlotState(socket, slot, 'ready')
  return true
}
