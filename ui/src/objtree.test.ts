import { describe, expect, it } from 'vitest'
import { crumbs, tree } from './objtree'
import type { ObjectRow } from './api'
import { move } from './pages/VirtualForm'

const o = (path: string, size = 1) => ({ path, size }) as ObjectRow

describe('object tree', () => {
  it('groups paths under a prefix by their next segment', () => {
    const t = tree([o('a.txt'), o('pkg/x/1.tgz', 10), o('pkg/y.tgz', 5), o('pkg/x/2.tgz', 1)], 'pkg/')
    expect(t.files.map((f) => f.path)).toEqual(['pkg/y.tgz'])
    expect(t.folders).toEqual([{ name: 'x/', count: 2, size: 11 }])
    const root = tree([o('a.txt'), o('pkg/y.tgz')], '')
    expect(root.folders.map((f) => f.name)).toEqual(['pkg/'])
    expect(root.files.map((f) => f.path)).toEqual(['a.txt'])
  })
  it('links every level of a prefix', () => {
    expect(crumbs('')).toEqual([{ label: '/', prefix: '' }])
    expect(crumbs('a/b/')).toEqual([
      { label: '/', prefix: '' },
      { label: 'a', prefix: 'a/' },
      { label: 'b', prefix: 'a/b/' },
    ])
  })
})

describe('member order', () => {
  it('moves a member and ignores moves past the ends', () => {
    expect(move(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b'])
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    const l = ['a', 'b']
    expect(move(l, 0, -1)).toBe(l)
    expect(move(l, 1, 2)).toBe(l)
  })
})
