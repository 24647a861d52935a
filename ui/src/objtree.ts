// A remote's cached paths shown as folders: the objects under a prefix,
// grouped by their next path segment.
import type { ObjectRow } from './api'

export interface Folder {
  name: string // with its trailing '/'
  count: number
  size: number
}

export function tree(objects: ObjectRow[], prefix: string): { folders: Folder[]; files: ObjectRow[] } {
  const folders = new Map<string, Folder>()
  const files: ObjectRow[] = []
  for (const o of objects) {
    if (!o.path.startsWith(prefix)) continue
    const rest = o.path.slice(prefix.length)
    const i = rest.indexOf('/')
    if (i < 0) {
      files.push(o)
      continue
    }
    const name = rest.slice(0, i + 1)
    const f = folders.get(name) ?? { name, count: 0, size: 0 }
    f.count++
    f.size += o.size
    folders.set(name, f)
  }
  return { folders: [...folders.values()], files }
}

// crumbs are the links from the root down to prefix.
export function crumbs(prefix: string): { label: string; prefix: string }[] {
  const out = [{ label: '/', prefix: '' }]
  let acc = ''
  for (const part of prefix.split('/').filter(Boolean)) {
    acc += part + '/'
    out.push({ label: part, prefix: acc })
  }
  return out
}
