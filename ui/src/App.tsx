import { useEffect, useReducer, useState } from 'react'
import { call, followEvents, getToken, setToken, setUnauthorizedHandler, type ServerEvent } from './api'
import { useHash } from './hooks'
import { changesConfig, emptyLive, reduce, type Live } from './live'
import SignIn from './pages/SignIn'
import Dashboard from './pages/Dashboard'
import { RemoteList, RemoteDetail, VirtualDetail } from './pages/Remotes'
import RemoteForm from './pages/RemoteForm'
import VirtualForm from './pages/VirtualForm'
import Objects from './pages/Objects'
import Probe from './pages/Probe'
import HealthPage from './pages/Health'

const nav = [
  ['/', 'Dashboard'],
  ['/remotes', 'Remotes'],
  ['/objects', 'Objects'],
  ['/probe', 'Probe'],
  ['/health', 'Health'],
] as const

export default function App() {
  const [signedIn, setSignedIn] = useState(() => getToken() !== '')
  const [notice, setNotice] = useState('')
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setToken('')
      setSignedIn(false)
      setNotice('The server refused the token: sign in again.')
    })
  }, [])
  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignIn={async (t) => {
          await call('GET', '/api/v2/remotes', undefined, t)
          setToken(t)
          setNotice('')
          setSignedIn(true)
        }}
      />
    )
  }
  return (
    <Shell
      onSignOut={() => {
        setToken('')
        setSignedIn(false)
      }}
    />
  )
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useHash()
  const [live, dispatch] = useReducer((l: Live, e: ServerEvent) => reduce(l, e), emptyLive)
  const [connected, setConnected] = useState(false)
  const [configVersion, bump] = useReducer((n: number) => n + 1, 0)
  useEffect(
    () =>
      followEvents(
        (e) => {
          dispatch(e)
          if (changesConfig(e)) bump()
        },
        setConnected,
      ),
    [],
  )
  const [path, query] = route.split('?')
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  const params = new URLSearchParams(query ?? '')
  let page
  switch (parts[0] ?? '') {
    case '':
      page = <Dashboard live={live} version={configVersion} />
      break
    case 'remotes':
      if (parts[1] === 'new') page = <RemoteForm />
      else if (parts[1] && parts[2] === 'edit') page = <RemoteForm name={parts[1]} />
      else if (parts[1]) page = <RemoteDetail name={parts[1]} version={configVersion} />
      else page = <RemoteList version={configVersion} />
      break
    case 'virtuals':
      if (parts[1] === 'new') page = <VirtualForm />
      else if (parts[1] && parts[2] === 'edit') page = <VirtualForm name={parts[1]} />
      else if (parts[1]) page = <VirtualDetail name={parts[1]} />
      else page = <RemoteList version={configVersion} />
      break
    case 'objects':
      page = <Objects remote={parts[1] ?? ''} prefix={params.get('prefix') ?? ''} version={configVersion} />
      break
    case 'probe':
      page = <Probe remote={params.get('remote') ?? ''} />
      break
    case 'health':
      page = <HealthPage />
      break
    default:
      page = <p>No such page.</p>
  }
  const current = '/' + (parts[0] === 'virtuals' ? 'remotes' : (parts[0] ?? ''))
  return (
    <>
      <header>
        <a className="brand" href="#/">
          ArtifactAPI
        </a>
        <nav aria-label="Main">
          {nav.map(([href, label]) => (
            <a key={href} href={`#${href}`} aria-current={current === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className={`stream ${connected ? 'on' : 'off'}`} title="live event stream">
          {connected ? '● live' : '○ reconnecting'}
        </span>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </>
  )
}
