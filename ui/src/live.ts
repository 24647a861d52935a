// The event stream reduced to what the dashboard shows: fills in flight
// with their progress, and the last finished requests.
import type { ServerEvent } from './api'

export interface Fill {
  remote: string
  path: string
  bytes: number
  size: number // 0: not known
  seen: number
}

export interface Done {
  time: string
  status: string // MISS, HIT, FAIL, EVICT, OPEN, CLOSED
  remote: string
  path: string
  size: number
  durationMs: number
  count: number
  error: string
}

export interface Live {
  fills: Record<string, Fill>
  recent: Done[] // newest first
}

export const emptyLive: Live = { fills: {}, recent: [] }

const keep = 50
// A fill silent this long is dropped (its replica died, or its end was missed).
export const forgetFillMs = 60_000

const key = (e: ServerEvent) => `${e.remote ?? ''}\u0000${e.path ?? ''}`

function done(e: ServerEvent, status: string): Done {
  return {
    time: e.time,
    status,
    remote: e.remote ?? '',
    path: e.path ?? '',
    size: e.size ?? 0,
    durationMs: e.duration_ms ?? 0,
    count: e.count ?? 0,
    error: e.error ?? '',
  }
}

// reduce returns the state after e; it never mutates live.
export function reduce(live: Live, e: ServerEvent, now = Date.now()): Live {
  const fills = { ...live.fills }
  let recent = live.recent
  const add = (d: Done) => {
    recent = [d, ...recent].slice(0, keep)
  }
  switch (e.type) {
    case 'fetch.started':
    case 'fetch.progress': {
      const prev = fills[key(e)]
      fills[key(e)] = {
        remote: e.remote ?? '',
        path: e.path ?? '',
        bytes: Math.max(prev?.bytes ?? 0, e.bytes ?? 0),
        size: e.size && e.size > 0 ? e.size : (prev?.size ?? 0),
        seen: now,
      }
      break
    }
    case 'fetch.finished':
      delete fills[key(e)]
      add(done(e, 'MISS'))
      break
    case 'fetch.failed':
      delete fills[key(e)]
      add(done(e, 'FAIL'))
      break
    case 'hit':
      // A busy second's hits over many paths come summed per remote.
      add({ ...done(e, 'HIT'), path: e.path || '(many paths: summed per remote)' })
      break
    case 'evict':
      add(done(e, 'EVICT'))
      break
    case 'circuit.open':
      add(done(e, 'OPEN'))
      break
    case 'circuit.closed':
      add(done(e, 'CLOSED'))
      break
    default:
      return live
  }
  for (const [k, f] of Object.entries(fills)) {
    if (now - f.seen > forgetFillMs) delete fills[k]
  }
  return { fills, recent }
}

// changesConfig tells whether e means the lists should be read again.
export function changesConfig(e: ServerEvent): boolean {
  return /^(remote\.|virtual\.|circuit\.)/.test(e.type)
}

export function fillList(live: Live): Fill[] {
  return Object.values(live.fills).sort((a, b) => a.remote.localeCompare(b.remote) || a.path.localeCompare(b.path))
}
