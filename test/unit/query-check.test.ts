import { describe, expect, it } from 'vitest'
import { normalizeQuery } from '../../src/http/query-check.js'

const known = new Set(['ids', 'externalId', 'systemName', 'q'])
const lists = new Set(['ids', 'externalId'])

describe('normalizeQuery', () => {
  it('joins the array encodings of list parameters in index order', () => {
    expect(normalizeQuery({ 'ids[1]': 'b', 'ids[0]': 'a' }, known, lists)).toEqual({
      query: { ids: 'a,b' },
      unknown: [],
    })
    expect(normalizeQuery({ 'ids[]': ['c', 'a'] }, known, lists).query).toEqual({ ids: 'c,a' })
    expect(normalizeQuery({ ids: ['x', 'y'], systemName: 's' }, known, lists).query).toEqual({
      ids: 'x,y',
      systemName: 's',
    })
    expect(normalizeQuery({ ids: 'a,b' }, known, lists).query).toEqual({ ids: 'a,b' })
    expect(normalizeQuery({ ids: 'a', 'ids[]': 'b' }, known, lists).query).toEqual({ ids: 'a,b' })
  })

  it('names every parameter the route does not take, bracketed ones included', () => {
    expect(
      normalizeQuery({ idz: 'a', 'q[0]': 'x', systemName: 's', 'nope[]': '1' }, known, lists).unknown,
    ).toEqual(['idz', 'q[0]', 'nope[]'])
  })

  it('leaves a repeated non-list parameter as an array, for the schema to refuse', () => {
    expect(normalizeQuery({ q: ['a', 'b'] }, known, lists).query).toEqual({ q: ['a', 'b'] })
  })
})
