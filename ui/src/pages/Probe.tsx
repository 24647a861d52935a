import { useState, type FormEvent } from 'react'
import { api, type ProbeResult } from '../api'
import { bytes } from '../format'
import { useLoad } from '../hooks'
import { ErrorLine } from '../ui'

export default function Probe({ remote: initial }: { remote: string }) {
  const remotes = useLoad(() => api.remotes(), [])
  const [remote, setRemote] = useState(initial)
  const [path, setPath] = useState('')
  const [result, setResult] = useState<ProbeResult | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const chosen = remote || remotes.data?.[0]?.name || ''
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    setResult(null)
    try {
      setResult(await api.probe(chosen, path.trim()))
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <h1>Probe</h1>
      <p className="muted">Asks the upstream for a path through the remote's rules, without caching anything.</p>
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="p-remote">Remote</label>
          <select id="p-remote" value={chosen} onChange={(e) => setRemote(e.target.value)}>
            {(remotes.data ?? []).map((r) => (
              <option key={r.name}>{r.name}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="p-path">Path</label>
          <input id="p-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="e.g. releases/tool-1.0.tar.gz" required />
        </div>
        <div className="actions">
          <button type="submit" disabled={busy || !chosen || !path.trim()}>
            Probe
          </button>
        </div>
      </form>
      <ErrorLine error={error} />
      {result && (
        <dl className="props" aria-label="Probe result">
          {Object.entries(result).map(([k, v]) => (
            <div key={k}>
              <dt>{k.replace(/_/g, ' ')}</dt>
              <dd>{k === 'size' && typeof v === 'number' && v >= 0 ? `${bytes(v)} (${v} bytes)` : typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </>
  )
}
