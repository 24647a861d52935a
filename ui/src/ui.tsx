// Small shared pieces: a confirmation dialog, badges, a progress bar.
import { useEffect, useRef, type ReactNode } from 'react'
import { bytes } from './format'

export function Confirm(props: { open: boolean; title: string; children?: ReactNode; action: string; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (props.open && !d.open) d.showModal()
    if (!props.open && d.open) d.close()
  }, [props.open])
  return (
    <dialog ref={ref} onCancel={props.onCancel} aria-labelledby="confirm-title">
      <h2 id="confirm-title">{props.title}</h2>
      {props.children}
      <div className="actions">
        <button type="button" onClick={props.onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" onClick={props.onConfirm}>
          {props.action}
        </button>
      </div>
    </dialog>
  )
}

export function Badge({ kind, children }: { kind: string; children: ReactNode }) {
  return <span className={`badge badge-${kind.toLowerCase()}`}>{children}</span>
}

export function FillBar({ bytes: got, size }: { bytes: number; size: number }) {
  if (size > 0) {
    const pct = Math.min(100, (100 * got) / size)
    return (
      <span className="fillbar">
        <progress max={size} value={got} aria-label={`${pct.toFixed(0)}%`} />
        <span>
          {pct.toFixed(0)}% · {bytes(got)} of {bytes(size)}
        </span>
      </span>
    )
  }
  return (
    <span className="fillbar">
      <progress aria-label="size not known" />
      <span>{bytes(got)} received</span>
    </span>
  )
}

export function ErrorLine({ error }: { error: string }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null
}

export function Table({ children, label }: { children: ReactNode; label: string }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  )
}
