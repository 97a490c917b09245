import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.js'
import {
  canonicalVariant,
  outsideAllowList,
  parseVariantParams,
  signedPayload,
  signVariantUrl,
  verifyVariantSignature,
} from '../../src/media/variant-params.js'

const limits = { maxDimension: 4096 }
const parse = (query: string) => parseVariantParams(Object.fromEntries(new URLSearchParams(query)), limits)

describe('parseVariantParams', () => {
  it.each([
    ['', undefined],
    ['s=abc', undefined],
    ['w=300', { width: 300, fit: 'clip', autoFormat: false }],
    ['w=100&dpr=2', { width: 200, fit: 'clip', autoFormat: false }],
    ['w=100&h=50&dpr=1.5', { width: 150, height: 75, fit: 'clip', autoFormat: false }],
    [
      'h=10&fit=scale&fm=webp&q=40',
      { height: 10, fit: 'scale', format: 'webp', quality: 40, autoFormat: false },
    ],
    ['fit=crop&crop=focalpoint', { fit: 'crop', focal: { x: 0.5, y: 0.5 }, autoFormat: false }],
    ['fit=crop&crop=focalpoint&fp-x=0&fp-y=1', { fit: 'crop', focal: { x: 0, y: 1 }, autoFormat: false }],
    ['rect=1,2,3,4', { fit: 'clip', rect: { x: 1, y: 2, width: 3, height: 4 }, autoFormat: false }],
    ['auto=format&fm=png', { fit: 'clip', format: 'png', autoFormat: true }],
  ])('%s', (query, expected) => {
    expect(parse(query)).toEqual(expected)
  })

  it.each([
    ['w=0', 'w'],
    ['w=-1', 'w'],
    ['w=1.5', 'w'],
    ['w=4097', 'w'],
    ['w=abc', 'w'],
    ['h=2049&dpr=2', 'h'],
    ['dpr=0.5', 'dpr'],
    ['dpr=3.5', 'dpr'],
    ['fit=cover', 'fit'],
    ['crop=faces', 'crop'],
    ['crop=focalpoint', 'crop'],
    ['fp-x=0.5', 'fp-x'],
    ['fit=crop&crop=focalpoint&fp-y=1.1', 'fp-y'],
    ['rect=1,2,3', 'rect'],
    ['rect=1,2,0,4', 'rect'],
    ['rect=a,b,c,d', 'rect'],
    ['fm=jpeg', 'fm'],
    ['auto=compress', 'auto'],
    ['q=0', 'q'],
    ['q=101', 'q'],
  ])('refuses %s naming %s', (query, param) => {
    let error: unknown
    try {
      parse(query)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).status).toBe(400)
    expect((error as AppError).details?.[param]).toEqual(expect.any(String))
  })

  it('refuses a parameter given twice', () => {
    expect(() => parseVariantParams({ w: ['1', '2'] }, limits)).toThrow(
      expect.objectContaining({
        status: 400,
        details: expect.objectContaining({ w: 'is given more than once' }),
      }),
    )
  })
})

describe('canonicalVariant', () => {
  it('is one text for every query of the same bytes, another for other bytes', () => {
    const a = canonicalVariant(parse('w=100&dpr=2&fm=webp')!, 'webp')
    expect(canonicalVariant(parse('fm=webp&w=200')!, 'webp')).toBe(a)
    expect(canonicalVariant(parse('w=200&auto=format')!, 'webp')).toBe(a)
    expect(canonicalVariant(parse('w=200')!, 'jpg')).not.toBe(a)
    expect(canonicalVariant(parse('w=200&q=80')!, 'webp')).not.toBe(a)
  })
})

describe('allow-list and signatures', () => {
  const allow = { sizes: [100, 200], formats: ['webp' as const] }
  it.each([
    ['w=100', undefined],
    ['w=50&dpr=2&h=100&fm=webp', undefined],
    ['w=150', 'w'],
    ['w=100&h=150', 'h'],
    ['w=100&fm=png', 'fm'],
  ])('%s → %s', (query, outside) => {
    expect(outsideAllowList(parse(query)!, allow)).toBe(outside)
  })

  it('signs the path and the query without s, and checks in constant time', () => {
    const url = '/api/v1/mediaLibrary/serve-image/a/b.jpg?w=300&fm=webp'
    expect(signedPayload(`${url}&s=00`)).toBe(url)
    const s = signVariantUrl('secret', url)
    expect(s).toMatch(/^[0-9a-f]{64}$/)
    expect(verifyVariantSignature('secret', `${url}&s=${s}`, s)).toBe(true)
    expect(verifyVariantSignature('other', url, s)).toBe(false)
    expect(verifyVariantSignature('secret', url.replace('300', '301'), s)).toBe(false)
    expect(verifyVariantSignature('secret', url, 'zz')).toBe(false)
  })
})
