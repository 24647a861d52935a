import { useState, type ReactNode } from 'react'
import { api } from '../api'
import { bytes, hitRatio, percent, seconds } from '../format'
import { go, useLoad } from '../hooks'
import { snippet } from '../snippets'
import { Badge, Confirm, ErrorLine, Table } from '../ui'

export function RemoteList({ version }: { version: number }) {
  const remotes = useLoad(() => api.remotes(), [version])
  const virtuals = useLoad(() => api.virtuals(), [version])
  const stats = useLoad(() => api.stats(), [version], 5000)
  return (
    <>
      <div className="section-head">
        <h1>Remotes</h1>
        <a className="button" href="#/remotes/new">
          New remote
        </a>
      </div>
      <ErrorLine error={remotes.error} />
      <Table label="Remotes">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Upstream</th>
            <th>TTL mutable / immutable</th>
            <th className="num">Hit ratio</th>
            <th className="num">Stored</th>
          </tr>
        </thead>
        <tbody>
          {(remotes.data ?? []).map((r) => {
            const c = stats.data?.remotes[r.name]
            return (
              <tr key={r.name}>
                <td>
                  <a href={`#/remotes/${encodeURIComponent(r.name)}`}>{r.name}</a>
                </td>
                <td>{r.package_type}</td>
                <td className="path">{r.base_url}</td>
                <td>
                  {seconds(r.mutable_ttl)} / {seconds(r.immutable_ttl)}
                </td>
                <td className="num">{c ? percent(hitRatio(c)) : '–'}</td>
                <td className="num">{bytes(c?.stored_bytes ?? 0)}</td>
              </tr>
            )
          })}
        </tbody>
      </Table>
      {remotes.data?.length === 0 && <p className="muted">No remotes yet.</p>}
      <div className="section-head">
        <h2>Virtual repositories</h2>
        <a className="button" href="#/virtuals/new">
          New virtual
        </a>
      </div>
      <ErrorLine error={virtuals.error} />
      <Table label="Virtual repositories">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Members, first wins</th>
          </tr>
        </thead>
        <tbody>
          {(virtuals.data ?? []).map((v) => (
            <tr key={v.name}>
              <td>
                <a href={`#/virtuals/${encodeURIComponent(v.name)}`}>{v.name}</a>
              </td>
              <td>{v.package_type}</td>
              <td>{v.members.join(' → ')}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {virtuals.data?.length === 0 && <p className="muted">No virtual repositories.</p>}
    </>
  )
}

function Snippet({ type, kind, name }: { type: string; kind: 'remote' | 'virtual'; name: string }) {
  const s = snippet(type, location.origin, kind, name)
  const [copied, setCopied] = useState(false)
  return (
    <section aria-labelledby="snippet-title">
      <h2 id="snippet-title">Client configuration</h2>
      <p className="muted">{s.title}</p>
      <pre className="snippet">{s.text}</pre>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard?.writeText(s.text).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </section>
  )
}

// DetailHead is the top of a remote's or virtual's page: its name, its
// links, Edit, and Delete after a confirmation (what goes is said in
// consequence), with the Terraform note.
function DetailHead(props: { kind: 'remote' | 'virtual'; name: string; links?: ReactNode; remove: () => Promise<void>; consequence: string }) {
  const [confirm, setConfirm] = useState(false)
  const [error, setError] = useState('')
  const { kind, name } = props
  return (
    <>
      <div className="section-head">
        <h1>
          {kind === 'remote' ? 'Remote' : 'Virtual'} <code>{name}</code>
        </h1>
        <div className="actions">
          {props.links}
          <a className="button" href={`#/${kind}s/${encodeURIComponent(name)}/edit`}>
            Edit
          </a>
          <button type="button" className="danger" onClick={() => setConfirm(true)}>
            Delete
          </button>
        </div>
      </div>
      <p className="note">
        If Terraform manages this (the <code>artifactapi</code> provider), the next <code>terraform apply</code> sets it back to the configuration: change it there.
      </p>
      <ErrorLine error={error} />
      <Confirm
        open={confirm}
        title={`Delete ${kind} ${name}?`}
        action="Delete"
        onCancel={() => setConfirm(false)}
        onConfirm={() => {
          setConfirm(false)
          props.remove().then(
            () => go('/remotes'),
            (e: Error) => setError(e.message),
          )
        }}
      >
        <p>{props.consequence}</p>
      </Confirm>
    </>
  )
}

export function RemoteDetail({ name, version }: { name: string; version: number }) {
  const remote = useLoad(() => api.remote(name), [name, version])
  const stats = useLoad(() => api.stats(), [version], 5000)
  const r = remote.data
  if (!r) return <ErrorLine error={remote.error} />
  const c = stats.data?.remotes[name]
  const up = stats.data?.upstreams?.[name]
  const core = new Set(['name', 'package_type', 'base_url', 'created_at', 'updated_at', 'auth'])
  const rows: [string, string][] = [
    ['Type', r.package_type],
    ['Upstream', r.base_url],
    ['Mutable TTL', seconds(r.mutable_ttl)],
    ['Immutable TTL', seconds(r.immutable_ttl)],
    ['Negative TTL', seconds(r.negative_ttl)],
    ['Upstream credentials', r.auth],
  ]
  for (const [k, v] of Object.entries(r)) {
    if (core.has(k) || k.endsWith('_ttl')) continue
    if (Array.isArray(v) && v.length === 0) continue
    rows.push([k.replace(/_/g, ' '), Array.isArray(v) ? v.join(', ') : String(v)])
  }
  return (
    <>
      <DetailHead
        kind="remote"
        name={r.name}
        remove={() => api.deleteRemote(r.name)}
        consequence="Its configuration and its cached objects go; clients using its URL get 404."
        links={
          <>
            <a className="button" href={`#/objects/${encodeURIComponent(r.name)}`}>
              Objects
            </a>
            <a className="button" href={`#/probe?remote=${encodeURIComponent(r.name)}`}>
              Probe
            </a>
          </>
        }
      />
      <dl className="props">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
        <div>
          <dt>Upstream health</dt>
          <dd>
            <Badge kind={up?.circuit === 'open' ? 'fail' : 'ok'}>{up?.circuit === 'open' ? 'circuit open' : 'circuit closed'}</Badge>
            {up?.last_error && (
              <span className="error-inline">
                {' '}
                last error {new Date(up.last_error.time).toLocaleString()}: {up.last_error.error}
              </span>
            )}
          </dd>
        </div>
        {c && (
          <div>
            <dt>Usage</dt>
            <dd>
              {c.hits} hits, {c.misses} misses, {c.stale} stale ({percent(hitRatio(c))}); {c.objects} objects, {bytes(c.stored_bytes)} stored
            </dd>
          </div>
        )}
      </dl>
      <Snippet type={r.package_type} kind="remote" name={r.name} />
    </>
  )
}

export function VirtualDetail({ name }: { name: string }) {
  const v = useLoad(() => api.virtual(name), [name])
  if (!v.data) return <ErrorLine error={v.error} />
  const x = v.data
  return (
    <>
      <DetailHead kind="virtual" name={x.name} remove={() => api.deleteVirtual(x.name)} consequence="Its members and their caches stay." />
      <dl className="props">
        <div>
          <dt>Type</dt>
          <dd>{x.package_type}</dd>
        </div>
        <div>
          <dt>Members, first wins</dt>
          <dd>
            <ol>
              {x.members.map((m) => (
                <li key={m}>
                  <a href={`#/remotes/${encodeURIComponent(m)}`}>{m}</a>
                </li>
              ))}
            </ol>
          </dd>
        </div>
      </dl>
      <Snippet type={x.package_type} kind="virtual" name={x.name} />
    </>
  )
}
