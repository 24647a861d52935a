import { describe, expect, it } from 'vitest'
import { changesConfig, emptyLive, fillList, forgetFillMs, reduce } from './live'

const ev = (type: string, extra: Record<string, unknown> = {}) => ({ type, time: '2026-01-01T00:00:00Z', remote: 'r', ...extra })

describe('live events', () => {
  it('follows a fill from start to finish', () => {
    let l = reduce(emptyLive, ev('fetch.started', { path: 'big', size: 100 }), 0)
    l = reduce(l, ev('fetch.progress', { path: 'big', size: 100, bytes: 40 }), 0)
    // Joined mid-fill: progress without a start.
    l = reduce(l, ev('fetch.progress', { path: 'other', bytes: 7 }), 0)
    expect(fillList(l).map((f) => [f.path, f.bytes, f.size])).toEqual([
      ['big', 40, 100],
      ['other', 7, 0],
    ])
    // A late event never moves the bar back.
    l = reduce(l, ev('fetch.progress', { path: 'big', size: 100, bytes: 30 }), 0)
    expect(l.fills['r\u0000big'].bytes).toBe(40)
    l = reduce(l, ev('fetch.finished', { path: 'big', size: 100, duration_ms: 1500 }), 0)
    l = reduce(l, ev('fetch.failed', { path: 'other', error: 'boom' }), 0)
    expect(fillList(l)).toEqual([])
    expect(l.recent.map((d) => [d.status, d.path, d.durationMs, d.error])).toEqual([
      ['FAIL', 'other', 0, 'boom'],
      ['MISS', 'big', 1500, ''],
    ])
  })
  it('never mutates the state it was given', () => {
    const l = reduce(emptyLive, ev('fetch.started', { path: 'a' }), 0)
    const before = JSON.stringify(l)
    reduce(l, ev('fetch.finished', { path: 'a' }), 0)
    expect(JSON.stringify(l)).toBe(before)
  })
  it('keeps the last 50 and forgets silent fills', () => {
    let l = emptyLive
    for (let i = 0; i < 60; i++) l = reduce(l, ev('hit', { path: `p${i}`, count: 2 }), 0)
    expect(l.recent.length).toBe(50)
    expect(l.recent[0].path).toBe('p59')
    l = reduce(l, ev('fetch.started', { path: 'stuck' }), 0)
    l = reduce(l, ev('hit', { path: 'x' }), forgetFillMs + 1)
    expect(fillList(l)).toEqual([])
  })
  it('ignores unknown events and tells config changes', () => {
    expect(reduce(emptyLive, ev('something.new'))).toBe(emptyLive)
    expect(changesConfig(ev('remote.created'))).toBe(true)
    expect(changesConfig(ev('virtual.changed'))).toBe(true)
    expect(changesConfig(ev('hit'))).toBe(false)
  })
})
