import { useEffect, useState, type DragEvent, type FormEvent } from 'react'
import { api } from '../api'
import { go, useLoad } from '../hooks'
import { ErrorLine } from '../ui'

// move returns list with the item at from moved to to.
export function move<T>(list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length || from === to) return list
  const out = [...list]
  const [x] = out.splice(from, 1)
  out.splice(to, 0, x)
  return out
}

export default function VirtualForm({ name }: { name?: string }) {
  const editing = name !== undefined
  const remotes = useLoad(() => api.remotes(), [])
  const types = useLoad(() => api.types(), [])
  const existing = useLoad(() => (editing ? api.virtual(name) : Promise.resolve(undefined)), [name])
  const [vname, setName] = useState('')
  const [type, setType] = useState('generic')
  const [members, setMembers] = useState<string[]>([])
  const [adding, setAdding] = useState('')
  const [error, setError] = useState('')
  const [dragged, setDragged] = useState<number | null>(null)
  useEffect(() => {
    if (existing.data) {
      setName(existing.data.name)
      setType(existing.data.package_type)
      setMembers(existing.data.members)
    }
  }, [existing.data])
  const candidates = (remotes.data ?? []).filter((r) => r.package_type === type && !members.includes(r.name))
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError('')
    try {
      const v = { name: vname.trim(), package_type: type, members }
      const saved = editing ? await api.updateVirtual(name, v) : await api.createVirtual(v)
      go(`/virtuals/${encodeURIComponent(saved.name)}`)
    } catch (err) {
      setError((err as Error).message)
    }
  }
  const onDrop = (e: DragEvent, to: number) => {
    e.preventDefault()
    if (dragged !== null) setMembers((m) => move(m, dragged, to))
    setDragged(null)
  }
  return (
    <>
      <h1>{editing ? `Edit virtual ${name}` : 'New virtual repository'}</h1>
      <ErrorLine error={remotes.error || types.error || existing.error} />
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="v-name">Name</label>
          <input id="v-name" value={vname} disabled={editing} onChange={(e) => setName(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor="v-type">Package type</label>
          <select
            id="v-type"
            value={type}
            onChange={(e) => {
              setType(e.target.value)
              setMembers([])
            }}
          >
            {(types.data ?? []).map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        </div>
        <fieldset className="field">
          <legend>Members: the first that has a path answers it (drag, or use the buttons)</legend>
          <ol className="members">
            {members.map((m, i) => (
              <li key={m} draggable onDragStart={() => setDragged(i)} onDragOver={(e) => e.preventDefault()} onDrop={(e) => onDrop(e, i)} className={dragged === i ? 'dragging' : ''}>
                <span className="grip" aria-hidden="true">
                  ⠿
                </span>
                <span className="member">{m}</span>
                <button type="button" onClick={() => setMembers(move(members, i, i - 1))} disabled={i === 0} aria-label={`Move ${m} up`}>
                  ↑
                </button>
                <button type="button" onClick={() => setMembers(move(members, i, i + 1))} disabled={i === members.length - 1} aria-label={`Move ${m} down`}>
                  ↓
                </button>
                <button type="button" onClick={() => setMembers(members.filter((x) => x !== m))} aria-label={`Remove ${m}`}>
                  ✕
                </button>
              </li>
            ))}
          </ol>
          <div className="inline">
            <label htmlFor="v-add" className="sr-only">
              Remote to add
            </label>
            <select id="v-add" value={adding} onChange={(e) => setAdding(e.target.value)}>
              <option value="">{candidates.length ? 'Add a remote…' : `No other ${type} remotes`}</option>
              {candidates.map((r) => (
                <option key={r.name}>{r.name}</option>
              ))}
            </select>
            <button
              type="button"
              disabled={!adding}
              onClick={() => {
                setMembers([...members, adding])
                setAdding('')
              }}
            >
              Add
            </button>
          </div>
        </fieldset>
        <ErrorLine error={error} />
        <div className="actions">
          <button type="submit">{editing ? 'Save' : 'Create'}</button>
          <a className="button secondary" href="#/remotes">
            Cancel
          </a>
        </div>
      </form>
    </>
  )
}
