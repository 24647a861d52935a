// The management API (/api/v2), as the UI uses it.

export interface Remote {
  name: string
  package_type: string
  base_url: string
  immutable_ttl: number
  mutable_ttl: number
  negative_ttl: number
  patterns: string[]
  blocklist: string[]
  mutable_patterns: string[]
  immutable_patterns: string[]
  allowed_hosts: string[]
  auth_required: boolean
  max_size: number
  unused_days: number
  auth: string
  created_at?: string
  updated_at?: string
  [setting: string]: unknown
}

export interface Virtual {
  name: string
  package_type: string
  members: string[]
}

export interface Counters {
  hits: number
  misses: number
  stale: number
  revalidated: number
  errors: number
  bytes_served: number
  bytes_fetched: number
  objects: number
  stored_bytes: number
}

export interface UpstreamHealth {
  circuit: 'open' | 'closed'
  last_error?: { time: string; error: string }
  // The upstream's rate limit as it last said; budget_low: stale copies
  // are served instead of revalidated until reset_at.
  budget?: { remaining: number; limit?: number; reset_at: string; throttled?: boolean }
  budget_low?: boolean
}

export interface Stats {
  totals: Counters
  remotes: Record<string, Counters>
  upstreams?: Record<string, UpstreamHealth>
  storage?: { max_size: number; min_free: number; free_bytes: number; evicted: number; orphaned_blobs_removed: number }
}

export interface SeriesPoint {
  start: string
  requests: number
  bytes: number
  errors: number
  cache: Record<string, number>
}

export interface Health {
  status: string
  checks: Record<string, { backend: string; status: string; error?: string }>
}

export interface ObjectRow {
  path: string
  sha256: string
  size: number
  mutable: boolean
  fetched_at: string
  expires_at: string | null
  last_access: string
  hits: number
}

export interface TypeInfo {
  name: string
  settings: { name: string; kind: 'bool' | 'string' | 'int' | 'strings'; description: string }[]
}

export interface ProbeResult {
  status: number
  size: number
  sha256?: string
  mutable: boolean
  duration_ms: number
  error?: string
  [k: string]: unknown
}

// ApiError is a non-2xx answer: its status and the server's message.
export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message)
  }
}

const tokenKey = 'artifactapi.token'

export function getToken(): string {
  return sessionStorage.getItem(tokenKey) ?? ''
}

export function setToken(t: string) {
  if (t) sessionStorage.setItem(tokenKey, t)
  else sessionStorage.removeItem(tokenKey)
}

// onUnauthorized is called on any 401: the app returns to sign-in.
let onUnauthorized = () => {}
export function setUnauthorizedHandler(f: () => void) {
  onUnauthorized = f
}

export async function call<T>(method: string, path: string, body?: unknown, token = getToken()): Promise<T> {
  const resp = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await resp.text()
  let data: unknown = undefined
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!resp.ok && !(path === '/api/v2/health' && resp.status === 503)) {
    if (resp.status === 401) onUnauthorized()
    const msg = (data as { error?: string } | undefined)?.error ?? (text || resp.statusText)
    throw new ApiError(resp.status, msg)
  }
  return data as T
}

export const api = {
  remotes: () => call<{ remotes: Remote[] }>('GET', '/api/v2/remotes').then((r) => r.remotes),
  remote: (name: string) => call<Remote>('GET', `/api/v2/remotes/${encodeURIComponent(name)}`),
  createRemote: (r: Record<string, unknown>) => call<Remote>('POST', '/api/v2/remotes', r),
  updateRemote: (name: string, r: Record<string, unknown>) => call<Remote>('PUT', `/api/v2/remotes/${encodeURIComponent(name)}`, r),
  deleteRemote: (name: string) => call<void>('DELETE', `/api/v2/remotes/${encodeURIComponent(name)}`),
  virtuals: () => call<{ virtuals: Virtual[] }>('GET', '/api/v2/virtuals').then((r) => r.virtuals),
  virtual: (name: string) => call<Virtual>('GET', `/api/v2/virtuals/${encodeURIComponent(name)}`),
  createVirtual: (v: Virtual) => call<Virtual>('POST', '/api/v2/virtuals', v),
  updateVirtual: (name: string, v: Virtual) => call<Virtual>('PUT', `/api/v2/virtuals/${encodeURIComponent(name)}`, v),
  deleteVirtual: (name: string) => call<void>('DELETE', `/api/v2/virtuals/${encodeURIComponent(name)}`),
  stats: () => call<Stats>('GET', '/api/v2/stats'),
  series: (window: string, step: string) =>
    call<{ step_seconds: number; points: SeriesPoint[] }>('GET', `/api/v2/stats/series?window=${window}&step=${step}`),
  health: () => call<Health>('GET', '/api/v2/health'),
  types: () => call<{ types: TypeInfo[] }>('GET', '/api/v2/types').then((r) => r.types),
  objects: (remote: string, prefix: string, cursor: string, limit = 200) => {
    const q = new URLSearchParams({ limit: String(limit) })
    if (prefix) q.set('prefix', prefix)
    if (cursor) q.set('cursor', cursor)
    return call<{ objects: ObjectRow[]; next_cursor: string }>('GET', `/api/v2/remotes/${encodeURIComponent(remote)}/objects?${q}`)
  },
  evict: (remote: string, target: { path?: string; prefix?: string }) => {
    const q = new URLSearchParams()
    if (target.path) q.set('path', target.path)
    else if (target.prefix) q.set('prefix', target.prefix)
    return call<{ evicted: number }>('DELETE', `/api/v2/remotes/${encodeURIComponent(remote)}/objects?${q}`)
  },
  probe: (remote: string, path: string) => call<ProbeResult>('POST', '/api/v2/probe', { remote, path }),
}

export interface ServerEvent {
  type: string
  time: string
  remote?: string
  path?: string
  size?: number
  bytes?: number
  duration_ms?: number
  count?: number
  error?: string
  replica?: string
}

// followEvents reads /api/v2/events (EventSource cannot send the bearer
// token, so fetch reads the stream) and reconnects after a drop, until
// the returned function is called.
export function followEvents(onEvent: (e: ServerEvent) => void, onState: (connected: boolean) => void): () => void {
  let stopped = false
  let ctrl: AbortController | null = null
  const run = async () => {
    let backoff = 500
    while (!stopped) {
      ctrl = new AbortController()
      try {
        const resp = await fetch('/api/v2/events', { headers: { Authorization: `Bearer ${getToken()}` }, signal: ctrl.signal })
        if (resp.status === 401) {
          onUnauthorized()
          return
        }
        if (!resp.ok || !resp.body) throw new Error(resp.statusText)
        onState(true)
        backoff = 500
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += value
          let i
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i)
            buf = buf.slice(i + 2)
            for (const line of block.split('\n')) {
              if (line.startsWith('data: ')) {
                try {
                  onEvent(JSON.parse(line.slice(6)))
                } catch {
                  /* a malformed event is skipped */
                }
              }
            }
          }
        }
      } catch {
        /* dropped: reconnect below */
      }
      if (stopped) return
      onState(false)
      await new Promise((r) => setTimeout(r, backoff))
      backoff = Math.min(backoff * 2, 5000)
    }
  }
  run()
  return () => {
    stopped = true
    ctrl?.abort()
  }
}
