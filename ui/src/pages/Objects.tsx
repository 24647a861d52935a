import { useEffect, useState } from 'react'
import { api, type ObjectRow } from '../api'
import { bytes, when } from '../format'
import { go, useLoad } from '../hooks'
import { crumbs, tree } from '../objtree'
import { Badge, Confirm, ErrorLine, Table } from '../ui'

const link = (remote: string, prefix: string) => `/objects/${encodeURIComponent(remote)}${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ''}`

export default function Objects({ remote, prefix, version }: { remote: string; prefix: string; version: number }) {
  const remotes = useLoad(() => api.remotes(), [version])
  const [objects, setObjects] = useState<ObjectRow[]>([])
  const [next, setNext] = useState('')
  const [error, setError] = useState('')
  const [notice, setNotice] = useState('')
  const [loading, setLoading] = useState(false)
  const [confirm, setConfirm] = useState<{ title: string; target: { path?: string; prefix?: string } } | null>(null)
  const [reloads, setReloads] = useState(0)

  useEffect(() => {
    if (!remote && remotes.data?.length) go(link(remotes.data[0].name, ''))
  }, [remote, remotes.data])

  useEffect(() => {
    if (!remote) return
    let live = true
    setLoading(true)
    api.objects(remote, prefix, '').then(
      (p) => {
        if (!live) return
        setObjects(p.objects)
        setNext(p.next_cursor)
        setError('')
        setLoading(false)
      },
      (e: Error) => {
        if (!live) return
        setError(e.message)
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [remote, prefix, reloads, version])

  const more = () =>
    api.objects(remote, prefix, next).then(
      (p) => {
        setObjects((o) => [...o, ...p.objects])
        setNext(p.next_cursor)
      },
      (e: Error) => setError(e.message),
    )

  const evict = (target: { path?: string; prefix?: string }) => {
    setConfirm(null)
    api.evict(remote, target).then(
      (r) => {
        setNotice(`Evicted ${r.evicted} object${r.evicted === 1 ? '' : 's'}.`)
        setReloads((n) => n + 1)
      },
      (e: Error) => setError(e.message),
    )
  }

  const { folders, files } = tree(objects, prefix)
  return (
    <>
      <div className="section-head">
        <h1>Objects</h1>
        <div className="inline">
          <label htmlFor="obj-remote">Remote</label>
          <select id="obj-remote" value={remote} onChange={(e) => go(link(e.target.value, ''))}>
            {(remotes.data ?? []).map((r) => (
              <option key={r.name}>{r.name}</option>
            ))}
          </select>
          <button type="button" onClick={() => setReloads((n) => n + 1)}>
            Refresh
          </button>
        </div>
      </div>
      {remotes.data?.length === 0 && <p className="muted">No remotes yet.</p>}
      {remote && (
        <>
          <nav aria-label="Path" className="crumbs">
            {crumbs(prefix).map((c, i, all) =>
              i === all.length - 1 ? (
                <span key={c.prefix} aria-current="location">
                  {c.label}
                </span>
              ) : (
                <a key={c.prefix} href={`#${link(remote, c.prefix)}`}>
                  {c.label}
                </a>
              ),
            )}
            <button
              type="button"
              className="danger"
              onClick={() =>
                setConfirm(prefix ? { title: `Evict everything under ${prefix} in ${remote}?`, target: { prefix } } : { title: `Evict every object of ${remote}?`, target: {} })
              }
            >
              {prefix ? 'Evict this folder' : 'Evict all'}
            </button>
          </nav>
          {notice && (
            <p className="notice" role="status">
              {notice}
            </p>
          )}
          <ErrorLine error={error} />
          <Table label={`Objects of ${remote}`}>
            <thead>
              <tr>
                <th>Path</th>
                <th className="num">Size</th>
                <th>Kind</th>
                <th>Expires</th>
                <th className="num">Hits</th>
                <th>Last access</th>
                <th>SHA-256</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {folders.map((f) => (
                <tr key={f.name}>
                  <td>
                    <a href={`#${link(remote, prefix + f.name)}`}>📁 {f.name}</a>
                  </td>
                  <td className="num">{bytes(f.size)}</td>
                  <td colSpan={5} className="muted">
                    {f.count} object{f.count === 1 ? '' : 's'}
                    {next ? ' loaded so far' : ''}
                  </td>
                  <td />
                </tr>
              ))}
              {files.map((o) => (
                <tr key={o.path}>
                  <td className="path">{o.path.slice(prefix.length)}</td>
                  <td className="num">{bytes(o.size)}</td>
                  <td>
                    <Badge kind={o.mutable ? 'warn' : 'ok'}>{o.mutable ? 'mutable' : 'immutable'}</Badge>
                  </td>
                  <td>{o.expires_at ? when(o.expires_at) : 'never'}</td>
                  <td className="num">{o.hits}</td>
                  <td>{when(o.last_access)}</td>
                  <td>
                    <code title={o.sha256}>{o.sha256.slice(0, 12)}…</code>
                  </td>
                  <td>
                    <button type="button" className="danger small" onClick={() => setConfirm({ title: `Evict ${o.path}?`, target: { path: o.path } })} aria-label={`Evict ${o.path}`}>
                      Evict
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          {!loading && objects.length === 0 && !error && <p className="muted">Nothing cached here.</p>}
          {next && (
            <button type="button" onClick={more}>
              Load more
            </button>
          )}
        </>
      )}
      <Confirm open={confirm !== null} title={confirm?.title ?? ''} action="Evict" onCancel={() => setConfirm(null)} onConfirm={() => confirm && evict(confirm.target)}>
        <p>The next request fetches it from the upstream again.</p>
      </Confirm>
    </>
  )
}
