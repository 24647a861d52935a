import { describe, expect, it } from 'vitest'
import { bytes, duration, hitRatio, percent, saved, seconds, when } from './format'

describe('format', () => {
  it('prints bytes in binary units', () => {
    expect(bytes(0)).toBe('0 B')
    expect(bytes(1023)).toBe('1023 B')
    expect(bytes(1536)).toBe('1.50 KiB')
    expect(bytes(10 * 1024 * 1024)).toBe('10.0 MiB')
    expect(bytes(300 * 1024 ** 3)).toBe('300 GiB')
  })
  it('computes the hit ratio and the bandwidth saved', () => {
    expect(hitRatio({ hits: 8, stale: 1, misses: 1 })).toBeCloseTo(0.9)
    expect(percent(hitRatio({ hits: 0, stale: 0, misses: 0 }))).toBe('–')
    expect(saved({ bytes_served: 1000, bytes_fetched: 250 })).toEqual({ bytes: 750, ratio: 0.75 })
    expect(saved({ bytes_served: 10, bytes_fetched: 20 }).bytes).toBe(0)
    expect(saved({ bytes_served: 0, bytes_fetched: 0 }).ratio).toBeNull()
  })
  it('prints durations and TTLs', () => {
    expect(duration(0)).toBe('')
    expect(duration(15)).toBe('15 ms')
    expect(duration(1500)).toBe('1.5 s')
    expect(duration(90_000)).toBe('1m30s')
    expect(seconds(0)).toBe('never expires')
    expect(seconds(3600)).toBe('1 h')
    expect(seconds(600)).toBe('10 min')
    expect(seconds(172800)).toBe('2 d')
  })
  it('prints times relative to now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(when('2026-01-01T00:02:00Z', now)).toBe('in 2 min')
    expect(when('2025-12-31T22:00:00Z', now)).toBe('2 h ago')
    expect(when(null, now)).toBe('never')
  })
})
