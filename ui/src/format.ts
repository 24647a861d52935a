// Numbers as people read them.
import type { Counters } from './api'

export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`
}

// hitRatio is hits (fresh and stale) over answered requests, or null
// before any.
export function hitRatio(c: Pick<Counters, 'hits' | 'stale' | 'misses'>): number | null {
  const total = c.hits + c.stale + c.misses
  return total === 0 ? null : (c.hits + c.stale) / total
}

export function percent(r: number | null): string {
  return r === null ? '–' : `${(r * 100).toFixed(1)}%`
}

// saved is the bandwidth the cache saved: bytes served that no upstream
// sent, and their share of all bytes served.
export function saved(c: Pick<Counters, 'bytes_served' | 'bytes_fetched'>): { bytes: number; ratio: number | null } {
  const b = Math.max(0, c.bytes_served - c.bytes_fetched)
  return { bytes: b, ratio: c.bytes_served === 0 ? null : b / c.bytes_served }
}

export function duration(ms: number | undefined): string {
  if (!ms || ms <= 0) return ''
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const m = Math.floor(ms / 60_000)
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`
}

export function seconds(s: number): string {
  if (s === 0) return 'never expires'
  if (s % 86400 === 0) return `${s / 86400} d`
  if (s % 3600 === 0) return `${s / 3600} h`
  if (s % 60 === 0) return `${s / 60} min`
  return `${s} s`
}

export function when(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return ''
  const d = (t - now) / 1000
  const a = Math.abs(d)
  const span = a < 60 ? `${Math.round(a)} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 172800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`
  return d >= 0 ? `in ${span}` : `${span} ago`
}
