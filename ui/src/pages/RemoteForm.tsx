import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { ApiError, api } from '../api'
import { coreFields, emptyForm, fieldOf, formFromRemote, settingFields, toBody, type FieldDef, type FormValues } from '../fields'
import { go, useLoad } from '../hooks'
import { ErrorLine } from '../ui'

export default function RemoteForm({ name }: { name?: string }) {
  const editing = name !== undefined
  const types = useLoad(() => api.types(), [])
  const existing = useLoad(() => (editing ? api.remote(name) : Promise.resolve(undefined)), [name])
  const [values, setValues] = useState<FormValues>(emptyForm)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [formError, setFormError] = useState('')
  const [busy, setBusy] = useState(false)
  const type = types.data?.find((t) => t.name === values.package_type)
  const fields = useMemo(() => [...coreFields, ...settingFields(type)], [type])

  useEffect(() => {
    if (existing.data && types.data) {
      const t = types.data.find((x) => x.name === existing.data!.package_type)
      setValues(formFromRemote(existing.data, [...coreFields, ...settingFields(t)]))
    }
  }, [existing.data, types.data])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setFormError('')
    const { body, errors: local } = toBody(values, fields)
    setErrors(local)
    if (!body) return
    setBusy(true)
    try {
      const saved = editing ? await api.updateRemote(name, body) : await api.createRemote(body)
      go(`/remotes/${encodeURIComponent(saved.name)}`)
    } catch (err) {
      const msg = (err as Error).message
      const f = err instanceof ApiError && err.status === 400 ? fieldOf(msg, fields.map((x) => x.name)) : null
      if (f) setErrors({ [f]: msg })
      else setFormError(msg)
    } finally {
      setBusy(false)
    }
  }

  const set = (k: string, v: string | boolean) => setValues((old) => ({ ...old, [k]: v }))
  return (
    <>
      <h1>{editing ? `Edit remote ${name}` : 'New remote'}</h1>
      <ErrorLine error={types.error || existing.error} />
      <form className="form" onSubmit={submit} noValidate>
        {fields.map((f) => (
          <Field key={f.name} f={f} value={values[f.name]} error={errors[f.name]} disabled={editing && f.name === 'name'} types={types.data?.map((t) => t.name) ?? []} onChange={(v) => set(f.name, v)} />
        ))}
        {formError && (
          <p className="error" role="alert">
            {formError}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy}>
            {editing ? 'Save' : 'Create'}
          </button>
          <a className="button secondary" href={editing ? `#/remotes/${encodeURIComponent(name)}` : '#/remotes'}>
            Cancel
          </a>
        </div>
      </form>
    </>
  )
}

function Field({ f, value, error, disabled, types, onChange }: { f: FieldDef; value: string | boolean | undefined; error?: string; disabled: boolean; types: string[]; onChange: (v: string | boolean) => void }) {
  const id = `f-${f.name}`
  const described = `${id}-help${error ? ` ${id}-error` : ''}`
  let input
  if (f.name === 'package_type') {
    input = (
      <select id={id} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} disabled={disabled} aria-describedby={described} aria-invalid={!!error}>
        {types.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
    )
  } else if (f.kind === 'bool') {
    input = <input id={id} type="checkbox" checked={Boolean(value)} onChange={(e) => onChange(e.target.checked)} aria-describedby={described} aria-invalid={!!error} />
  } else if (f.kind === 'strings') {
    input = <textarea id={id} rows={2} value={String(value ?? '')} onChange={(e) => onChange(e.target.value)} aria-describedby={described} aria-invalid={!!error} />
  } else {
    input = (
      <input
        id={id}
        type={f.kind === 'secret' ? 'password' : 'text'}
        inputMode={f.kind === 'int' ? 'numeric' : undefined}
        autoComplete={f.kind === 'secret' ? 'new-password' : 'off'}
        value={String(value ?? '')}
        disabled={disabled}
        required={f.required}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={described}
        aria-invalid={!!error}
      />
    )
  }
  return (
    <div className={`field${f.kind === 'bool' ? ' check' : ''}${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{f.label}</label>
      {input}
      <span className="help" id={`${id}-help`}>
        {f.help}
      </span>
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  )
}
