import type { ReactNode } from 'react'
import { api, type UpstreamHealth } from '../api'
import { bytes } from '../format'
import { useLoad } from '../hooks'
import { Badge, ErrorLine, Table } from '../ui'

export default function HealthPage() {
  const health = useLoad(() => api.health(), [], 5000)
  const stats = useLoad(() => api.stats(), [], 5000)
  const h = health.data
  const st = stats.data?.storage
  return (
    <>
      <h1>
        Health {h && <Badge kind={h.status === 'ok' ? 'ok' : h.status === 'degraded' ? 'warn' : 'fail'}>{h.status}</Badge>}
      </h1>
      <ErrorLine error={health.error || stats.error} />
      <Table label="Backends">
        <thead>
          <tr>
            <th>Check</th>
            <th>Backend</th>
            <th>Status</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(h?.checks ?? {})
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, c]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{c.backend}</td>
                <td>
                  <Badge kind={c.status === 'ok' ? 'ok' : c.status === 'degraded' ? 'warn' : 'fail'}>{c.status}</Badge>
                </td>
                <td className="error-inline">{c.error}</td>
              </tr>
            ))}
        </tbody>
      </Table>
      {st && (
        <section aria-labelledby="storage-title">
          <h2 id="storage-title">Storage</h2>
          <dl className="props">
            <div>
              <dt>Cache limit</dt>
              <dd>{st.max_size ? bytes(st.max_size) : 'unbounded'}</dd>
            </div>
            <div>
              <dt>Free on disk</dt>
              <dd>
                {bytes(st.free_bytes)} (fills stop below {bytes(st.min_free)})
              </dd>
            </div>
            <div>
              <dt>Evicted to stay in bounds</dt>
              <dd>{st.evicted}</dd>
            </div>
            <div>
              <dt>Orphaned blobs removed</dt>
              <dd>{st.orphaned_blobs_removed}</dd>
            </div>
          </dl>
        </section>
      )}
      <section aria-labelledby="upstreams-title">
        <h2 id="upstreams-title">Upstreams</h2>
        <Table label="Upstreams">
          <thead>
            <tr>
              <th>Remote</th>
              <th>Circuit</th>
              <th>Rate limit</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(stats.data?.upstreams ?? {})
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([name, u]) => (
                <tr key={name}>
                  <td>
                    <a href={`#/remotes/${encodeURIComponent(name)}`}>{name}</a>
                  </td>
                  <td>
                    <Badge kind={u.circuit === 'open' ? 'fail' : 'ok'}>{u.circuit}</Badge>
                  </td>
                  <td>{budgetText(u)}</td>
                  <td className="error-inline">{u.last_error ? `${new Date(u.last_error.time).toLocaleString()}: ${u.last_error.error}` : ''}</td>
                </tr>
              ))}
          </tbody>
        </Table>
      </section>
    </>
  )
}

// budgetText says what is left of an upstream's rate limit, and whether
// stale copies are being served to spare it.
function budgetText(u: UpstreamHealth): ReactNode {
  const b = u.budget
  if (!b) return ''
  const left = b.throttled ? 'throttled (429)' : `${b.remaining}${b.limit ? ` of ${b.limit}` : ''} left`
  const until = `until ${new Date(b.reset_at).toLocaleTimeString()}`
  return u.budget_low ? (
    <>
      <Badge kind="warn">low</Badge> {left}, serving stale {until}
    </>
  ) : (
    `${left} ${until}`
  )
}
