import { useState, type FormEvent } from 'react'
import { ApiError } from '../api'

export default function SignIn({ notice, onSignIn }: { notice: string; onSignIn: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      await onSignIn(token.trim())
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That token was refused.' : `Cannot reach the server: ${(err as Error).message}`)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">ArtifactAPI</h1>
        {notice && <p className="notice">{notice}</p>}
        <label htmlFor="token">Admin token</label>
        <input id="token" type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} required autoFocus />
        <p className="help">
          In <code>DATA_DIR/admin-token</code> (or <code>ADMIN_TOKEN</code>). Kept for this browser tab only.
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
      </form>
    </main>
  )
}
