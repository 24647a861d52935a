import { afterEach, describe, expect, it, vi } from 'vitest'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import RemoteForm from './RemoteForm'
import { chartRows } from './Dashboard'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

describe('RemoteForm', () => {
  it('shows the server’s validation error next to the field it names', async () => {
    const calls: { method: string; url: string; body?: string }[] = []
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ method: init.method ?? 'GET', url, body: init.body as string | undefined })
      if (url === '/api/v2/types') return json(200, { types: [{ name: 'generic', settings: [] }, { name: 'docker', settings: [{ name: 'ban_tags', kind: 'strings', description: 'tags refused' }] }] })
      if (init.method === 'POST') return json(400, { error: 'invalid base_url "ftp://x": want an absolute http(s) URL without credentials' })
      return json(404, { error: 'not found' })
    })
    render(<RemoteForm />)
    await screen.findByRole('option', { name: 'docker' })
    fireEvent.change(screen.getByLabelText('Name', { exact: true }), { target: { value: 'hub' } })
    fireEvent.change(screen.getByLabelText('Package type'), { target: { value: 'docker' } })
    // The type's own settings appear with it.
    const banTags = await screen.findByLabelText('ban tags')
    fireEvent.change(banTags, { target: { value: 'latest' } })
    fireEvent.change(screen.getByLabelText('Upstream URL'), { target: { value: 'ftp://x' } })
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    const err = await screen.findByText(/invalid base_url/)
    expect(err.id).toBe('f-base_url-error')
    expect(screen.getByLabelText('Upstream URL').getAttribute('aria-invalid')).toBe('true')
    const post = calls.find((c) => c.method === 'POST')!
    expect(JSON.parse(post.body!)).toMatchObject({ name: 'hub', package_type: 'docker', base_url: 'ftp://x', ban_tags: ['latest'] })
  })

  it('refuses a bad number without asking the server', async () => {
    const fetch = vi.fn(async (url: string) => (url === '/api/v2/types' ? json(200, { types: [{ name: 'generic', settings: [] }] }) : json(500, {})))
    vi.stubGlobal('fetch', fetch)
    render(<RemoteForm />)
    await screen.findByRole('option', { name: 'generic' })
    fireEvent.change(screen.getByLabelText('Mutable TTL (s)'), { target: { value: 'an hour' } })
    fireEvent.click(screen.getByRole('button', { name: 'Create' }))
    await waitFor(() => expect(document.getElementById('f-mutable_ttl-error')?.textContent).toBe('a whole number, 0 or more'))
    expect(document.getElementById('f-name-error')?.textContent).toBe('required')
    expect(fetch.mock.calls.every(([u]) => u === '/api/v2/types')).toBe(true)
  })
})

describe('chart rows', () => {
  it('count stale as hits and leave the ratio empty without requests', () => {
    const rows = chartRows([
      { start: '2026-01-01T00:00:00Z', requests: 10, bytes: 0, errors: 0, cache: { HIT: 6, STALE: 1, MISS: 2, BYPASS: 1 } },
      { start: '2026-01-01T00:01:00Z', requests: 0, bytes: 0, errors: 0, cache: {} },
    ])
    expect(rows[0]).toMatchObject({ hits: 7, misses: 2, other: 1, ratio: 77.8 })
    expect(rows[1]).toMatchObject({ hits: 0, misses: 0, other: 0, ratio: null })
  })
})
