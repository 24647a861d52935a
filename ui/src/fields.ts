// The remote form: its fields as text, the JSON body they make, and which
// field a server error is about.
import type { Remote, TypeInfo } from './api'

export type Kind = 'string' | 'int' | 'bool' | 'strings' | 'secret'

export interface FieldDef {
  name: string
  label: string
  kind: Kind
  help: string
  required?: boolean
}

// The core fields every remote has, in the form's order.
export const coreFields: FieldDef[] = [
  { name: 'name', label: 'Name', kind: 'string', help: 'Part of every URL: letters, digits, - _ .', required: true },
  { name: 'package_type', label: 'Package type', kind: 'string', help: 'What the upstream serves.', required: true },
  { name: 'base_url', label: 'Upstream URL', kind: 'string', help: 'The registry or mirror this remote proxies.', required: true },
  { name: 'mutable_ttl', label: 'Mutable TTL (s)', kind: 'int', help: 'How long indexes and tags are served before revalidation.' },
  { name: 'immutable_ttl', label: 'Immutable TTL (s)', kind: 'int', help: '0 keeps artifacts until evicted.' },
  { name: 'negative_ttl', label: 'Negative TTL (s)', kind: 'int', help: 'How long an upstream 404 is remembered.' },
  { name: 'patterns', label: 'Allow patterns', kind: 'strings', help: 'One regular expression per line; empty allows every path.' },
  { name: 'blocklist', label: 'Block patterns', kind: 'strings', help: 'One per line; a match is refused with 403.' },
  { name: 'mutable_patterns', label: 'Extra mutable patterns', kind: 'strings', help: 'Paths to treat as mutable, one per line.' },
  { name: 'immutable_patterns', label: 'Extra immutable patterns', kind: 'strings', help: 'Paths to treat as immutable, one per line.' },
  { name: 'allowed_hosts', label: 'Allowed hosts', kind: 'strings', help: 'Other hosts the upstream may send clients to, one per line.' },
  { name: 'max_size', label: 'Max size (bytes)', kind: 'int', help: '0: no bound for this remote.' },
  { name: 'unused_days', label: 'Evict after unused (days)', kind: 'int', help: '0: never for being unused.' },
  { name: 'auth_required', label: 'Pulls need a token', kind: 'bool', help: 'Clients must present a pull token.' },
  { name: 'username', label: 'Upstream username', kind: 'secret', help: 'Basic auth to the upstream; blank keeps the stored one.' },
  { name: 'password', label: 'Upstream password', kind: 'secret', help: 'Blank keeps the stored one.' },
  { name: 'token', label: 'Upstream token', kind: 'secret', help: 'Bearer token to the upstream; blank keeps the stored one.' },
]

export type FormValues = Record<string, string | boolean>

// settingFields are a type's own settings as form fields.
export function settingFields(t: TypeInfo | undefined): FieldDef[] {
  return (t?.settings ?? []).map((s) => ({ name: s.name, label: s.name.replace(/_/g, ' '), kind: s.kind, help: s.description }))
}

export function emptyForm(): FormValues {
  return { name: '', package_type: 'generic', base_url: '', mutable_ttl: '3600', immutable_ttl: '0', negative_ttl: '60', max_size: '0', unused_days: '0', auth_required: false }
}

// formFromRemote fills the form from a stored remote (credentials are
// never returned, so they start blank).
export function formFromRemote(r: Remote, fields: FieldDef[]): FormValues {
  const v: FormValues = {}
  for (const f of fields) {
    const x = r[f.name]
    if (f.kind === 'secret') v[f.name] = ''
    else if (f.kind === 'bool') v[f.name] = Boolean(x)
    else if (f.kind === 'strings') v[f.name] = Array.isArray(x) ? x.join('\n') : ''
    else v[f.name] = x === undefined || x === null ? '' : String(x)
  }
  return v
}

// toBody turns the form into the API's JSON, or the fields it cannot send.
export function toBody(v: FormValues, fields: FieldDef[]): { body?: Record<string, unknown>; errors: Record<string, string> } {
  const body: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const f of fields) {
    const x = v[f.name]
    switch (f.kind) {
      case 'bool':
        body[f.name] = Boolean(x)
        break
      case 'int': {
        const s = String(x ?? '').trim()
        if (s === '') {
          if (f.required) errors[f.name] = 'required'
          break
        }
        if (!/^\d+$/.test(s)) errors[f.name] = 'a whole number, 0 or more'
        else body[f.name] = Number(s)
        break
      }
      case 'strings':
        body[f.name] = String(x ?? '')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
        break
      case 'secret': {
        // Blank: none on create, the stored one kept on edit.
        const s = String(x ?? '')
        if (s !== '') body[f.name] = s
        break
      }
      default: {
        const s = String(x ?? '').trim()
        if (s === '' && f.required) errors[f.name] = 'required'
        else if (s !== '') body[f.name] = s
      }
    }
  }
  return Object.keys(errors).length ? { errors } : { body, errors }
}

// fieldOf finds the field a server message is about: the known field name
// it mentions first ("invalid base_url …", "mutable_ttl must be …").
export function fieldOf(message: string, names: string[]): string | null {
  let best: string | null = null
  let at = Infinity
  for (const n of names) {
    const m = new RegExp(`(^|[^a-z_])${n}($|[^a-z_])`).exec(message)
    if (m && m.index < at) {
      at = m.index
      best = n
    }
  }
  return best
}
