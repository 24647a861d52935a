import { useCallback, useEffect, useRef, useState } from 'react'

// useHash is the route: the part of the URL after '#'.
export function useHash(): string {
  const [hash, setHash] = useState(() => location.hash.slice(1) || '/')
  useEffect(() => {
    const on = () => setHash(location.hash.slice(1) || '/')
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return hash
}

export function go(path: string) {
  location.hash = path
}

export interface Loaded<T> {
  data: T | undefined
  error: string
  loading: boolean
  reload: () => void
}

// useLoad runs load now, when deps change, and every `every` ms if given;
// a failed reload keeps the last data and shows the error.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], every = 0): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState('')
  const [loading, setLoading] = useState(true)
  const seq = useRef(0)
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps)
  const reload = useCallback(() => {
    const n = ++seq.current
    run().then(
      (d) => {
        if (n !== seq.current) return
        setData(d)
        setError('')
        setLoading(false)
      },
      (e: Error) => {
        if (n !== seq.current) return
        setError(e.message)
        setLoading(false)
      },
    )
  }, [run])
  useEffect(() => {
    setLoading(true)
    reload()
    if (!every) return
    const t = setInterval(reload, every)
    return () => clearInterval(t)
  }, [reload, every])
  return { data, error, loading, reload }
}
