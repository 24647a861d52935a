import { describe, expect, it } from 'vitest'
import { coreFields, emptyForm, fieldOf, formFromRemote, settingFields, toBody } from './fields'
import { snippet } from './snippets'
import type { Remote } from './api'

const names = coreFields.map((f) => f.name)

describe('remote form', () => {
  it('makes the API body from the form', () => {
    const v = { ...emptyForm(), name: 'npmjs', package_type: 'npm', base_url: ' https://example.test/ ', patterns: '^a/\n\n ^b/ ', token: 's3cret' }
    const { body, errors } = toBody(v, coreFields)
    expect(errors).toEqual({})
    expect(body).toMatchObject({ name: 'npmjs', package_type: 'npm', base_url: 'https://example.test/', mutable_ttl: 3600, patterns: ['^a/', '^b/'], auth_required: false, token: 's3cret' })
    expect(body).not.toHaveProperty('password')
  })
  it('refuses what it cannot send, next to the field', () => {
    const { body, errors } = toBody({ ...emptyForm(), name: '', base_url: 'x', mutable_ttl: '1h' }, coreFields)
    expect(body).toBeUndefined()
    expect(errors).toEqual({ name: 'required', mutable_ttl: 'a whole number, 0 or more' })
  })
  it('keeps stored credentials when editing with blanks', () => {
    const r = { name: 'a', package_type: 'docker', base_url: 'https://r.test', auth: 'basic', patterns: ['x'], auth_required: true, mutable_ttl: 60 } as unknown as Remote
    const v = formFromRemote(r, coreFields)
    expect(v.patterns).toBe('x')
    expect(v.username).toBe('')
    expect(v.auth_required).toBe(true)
    const { body } = toBody(v, coreFields)
    expect(body).not.toHaveProperty('username')
    expect(body).not.toHaveProperty('password')
  })
  it('adds a type’s own settings', () => {
    const f = settingFields({ name: 'docker', settings: [{ name: 'ban_tags', kind: 'strings', description: 'tags to refuse' }] })
    expect(f).toEqual([{ name: 'ban_tags', label: 'ban tags', kind: 'strings', help: 'tags to refuse' }])
    const { body } = toBody({ ban_tags: 'latest\n' }, f)
    expect(body).toEqual({ ban_tags: ['latest'] })
  })
  it('finds the field a server error names', () => {
    expect(fieldOf('invalid base_url "ftp://x": want an absolute http(s) URL', names)).toBe('base_url')
    expect(fieldOf('mutable_ttl must be >= 0 seconds, got -1', names)).toBe('mutable_ttl')
    expect(fieldOf('unknown package_type "x" (served: apt, docker)', names)).toBe('package_type')
    expect(fieldOf('max_size (bytes) and unused_days must be >= 0', names)).toBe('max_size')
    expect(fieldOf('patterns: pattern "(" does not compile', names)).toBe('patterns')
    expect(fieldOf('remote "x" already exists', names)).toBeNull()
  })
})

describe('client snippets', () => {
  it('point each client at this server', () => {
    expect(snippet('npm', 'http://cache:8000', 'remote', 'npmjs').text).toBe('registry=http://cache:8000/api/v1/remote/npmjs/')
    expect(snippet('pypi', 'http://cache:8000', 'virtual', 'py').text).toContain('index-url = http://cache:8000/api/v1/virtual/py/simple/')
    expect(snippet('goproxy', 'https://c', 'remote', 'go').text).toBe('export GOPROXY=https://c/api/v1/remote/go')
    expect(snippet('docker', 'http://cache:8000', 'remote', 'hub').text).toContain('docker://cache:8000/hub/library/alpine:3')
    expect(snippet('helm', 'http://c', 'remote', 'charts').text).toContain('helm repo add charts http://c/api/v1/remote/charts')
    for (const t of ['apt', 'rpm', 'alpine', 'puppet', 'terraform', 'generic']) {
      expect(snippet(t, 'http://c', 'remote', 'x').text).toContain('http://c/api/v1/remote/x')
    }
  })
})
