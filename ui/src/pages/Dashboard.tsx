import { useEffect, useMemo, useState } from 'react'
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { api, type Counters, type SeriesPoint } from '../api'
import { bytes, duration, hitRatio, percent, saved } from '../format'
import { useLoad } from '../hooks'
import { fillList, type Live } from '../live'
import { Badge, ErrorLine, FillBar, Table } from '../ui'

const windows = { '1h': '1m', '6h': '5m', '24h': '15m' } as const

// chartRows turns series points into what the chart draws.
export function chartRows(points: SeriesPoint[]) {
  return points.map((p) => {
    const hit = (p.cache.HIT ?? 0) + (p.cache.STALE ?? 0)
    const miss = p.cache.MISS ?? 0
    const answered = hit + miss + (p.cache.REVALIDATED ?? 0)
    return {
      t: new Date(p.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      hits: hit,
      misses: miss,
      other: p.requests - hit - miss,
      ratio: answered ? Math.round((1000 * hit) / answered) / 10 : null,
    }
  })
}

export default function Dashboard({ live, version }: { live: Live; version: number }) {
  const [win, setWin] = useState<keyof typeof windows>('1h')
  const stats = useLoad(() => api.stats(), [version], 3000)
  const series = useLoad(() => api.series(win, windows[win]), [win], 10000)
  const remotes = useLoad(() => api.remotes(), [version])
  const rows = useMemo(() => chartRows(series.data?.points ?? []), [series.data])
  // A finished request shows in the counters once the access log is
  // flushed (each second): read them again shortly after, at most every 2 s.
  const latest = live.recent[0]?.time
  const { reload: reloadStats } = stats
  const { reload: reloadSeries } = series
  useEffect(() => {
    if (!latest) return
    const t = setTimeout(() => {
      reloadStats()
      reloadSeries()
    }, 2000)
    return () => clearTimeout(t)
  }, [latest, reloadStats, reloadSeries])
  const t = stats.data?.totals
  const fills = fillList(live)
  return (
    <>
      <h1>Dashboard</h1>
      <ErrorLine error={stats.error} />
      {t && <Totals t={t} />}
      <section aria-labelledby="chart-title">
        <div className="section-head">
          <h2 id="chart-title">Requests and hit ratio</h2>
          <div role="group" aria-label="Time window" className="segmented">
            {Object.keys(windows).map((w) => (
              <button key={w} type="button" aria-pressed={w === win} onClick={() => setWin(w as keyof typeof windows)}>
                {w}
              </button>
            ))}
          </div>
        </div>
        <ErrorLine error={series.error} />
        <div className="chart">
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
              <XAxis dataKey="t" stroke="var(--muted)" fontSize={12} minTickGap={24} />
              <YAxis yAxisId="n" stroke="var(--muted)" fontSize={12} allowDecimals={false} width={40} />
              <YAxis yAxisId="r" orientation="right" domain={[0, 100]} unit="%" stroke="var(--muted)" fontSize={12} width={44} />
              <Tooltip contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }} />
              <Legend />
              <Bar yAxisId="n" dataKey="hits" name="hits" stackId="a" fill="var(--ok)" isAnimationActive={false} />
              <Bar yAxisId="n" dataKey="misses" name="misses" stackId="a" fill="var(--warn)" isAnimationActive={false} />
              <Bar yAxisId="n" dataKey="other" name="other" stackId="a" fill="var(--muted)" isAnimationActive={false} />
              <Line yAxisId="r" dataKey="ratio" name="hit ratio %" stroke="var(--accent)" dot={{ r: 2 }} connectNulls isAnimationActive={false} />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      </section>
      <section aria-labelledby="live-title">
        <h2 id="live-title">Live activity</h2>
        <h3>Downloading from upstreams ({fills.length})</h3>
        {fills.length === 0 ? (
          <p className="muted">Nothing downloading.</p>
        ) : (
          <ul className="fills">
            {fills.map((f) => (
              <li key={`${f.remote}/${f.path}`}>
                <span className="path">
                  {f.remote}/{f.path}
                </span>
                <FillBar bytes={f.bytes} size={f.size} />
              </li>
            ))}
          </ul>
        )}
        <h3>Last requests</h3>
        {live.recent.length === 0 ? (
          <p className="muted">No requests since this page opened.</p>
        ) : (
          <Table label="Last requests">
            <thead>
              <tr>
                <th>Time</th>
                <th>Cache</th>
                <th>Remote</th>
                <th>Path</th>
                <th className="num">Size</th>
                <th className="num">Took</th>
              </tr>
            </thead>
            <tbody>
              {live.recent.map((d, i) => (
                <tr key={`${d.time}-${i}`}>
                  <td>{new Date(d.time).toLocaleTimeString()}</td>
                  <td>
                    <Badge kind={d.status}>{d.count > 1 ? `${d.status} ×${d.count}` : d.status}</Badge>
                  </td>
                  <td>{d.remote}</td>
                  <td className="path" title={d.error || d.path}>
                    {d.path}
                    {d.error && <span className="error-inline"> {d.error}</span>}
                  </td>
                  <td className="num">{d.size ? bytes(d.size) : ''}</td>
                  <td className="num">{duration(d.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
      <section aria-labelledby="per-remote-title">
        <h2 id="per-remote-title">Per remote</h2>
        <Table label="Per remote">
          <thead>
            <tr>
              <th>Remote</th>
              <th className="num">Hits</th>
              <th className="num">Misses</th>
              <th className="num">Stale</th>
              <th className="num">Hit ratio</th>
              <th className="num">Served</th>
              <th className="num">From upstream</th>
              <th className="num">Saved</th>
              <th className="num">Stored</th>
              <th>Upstream</th>
            </tr>
          </thead>
          <tbody>
            {(remotes.data ?? []).map((r) => {
              const c: Counters = stats.data?.remotes[r.name] ?? { hits: 0, misses: 0, stale: 0, revalidated: 0, errors: 0, bytes_served: 0, bytes_fetched: 0, objects: 0, stored_bytes: 0 }
              const s = saved(c)
              const up = stats.data?.upstreams?.[r.name]
              return (
                <tr key={r.name}>
                  <td>
                    <a href={`#/remotes/${encodeURIComponent(r.name)}`}>{r.name}</a>
                  </td>
                  <td className="num">{c.hits}</td>
                  <td className="num">{c.misses}</td>
                  <td className="num">{c.stale}</td>
                  <td className="num">{percent(hitRatio(c))}</td>
                  <td className="num">{bytes(c.bytes_served)}</td>
                  <td className="num">{bytes(c.bytes_fetched)}</td>
                  <td className="num">
                    {bytes(s.bytes)} ({percent(s.ratio)})
                  </td>
                  <td className="num">{bytes(c.stored_bytes)}</td>
                  <td>
                    <Badge kind={up?.circuit === 'open' ? 'fail' : 'ok'}>{up?.circuit === 'open' ? 'circuit open' : 'ok'}</Badge>
                    {up?.last_error && (
                      <span className="error-inline" title={up.last_error.error}>
                        {' '}
                        last error {new Date(up.last_error.time).toLocaleTimeString()}: {up.last_error.error}
                      </span>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </Table>
        {remotes.data?.length === 0 && (
          <p className="muted">
            No remotes yet: <a href="#/remotes/new">create one</a>.
          </p>
        )}
      </section>
    </>
  )
}

function Totals({ t }: { t: Counters }) {
  const s = saved(t)
  const cards: [string, string, string][] = [
    ['Requests', String(t.hits + t.misses + t.stale), `${t.hits} hits · ${t.misses} misses · ${t.stale} stale · ${t.errors} errors`],
    ['Hit ratio', percent(hitRatio(t)), 'fresh and stale hits over all answered'],
    ['Bandwidth saved', bytes(s.bytes), `${percent(s.ratio)} of ${bytes(t.bytes_served)} served came from the cache`],
    ['From upstreams', bytes(t.bytes_fetched), 'fetched to fill the cache'],
    ['Stored', bytes(t.stored_bytes), `${t.objects} objects`],
  ]
  return (
    <div className="cards">
      {cards.map(([label, value, sub]) => (
        <div className="card" key={label}>
          <div className="label">{label}</div>
          <div className="value" data-testid={`total-${label.toLowerCase().replace(/ /g, '-')}`}>
            {value}
          </div>
          <div className="sub">{sub}</div>
        </div>
      ))}
    </div>
  )
}
