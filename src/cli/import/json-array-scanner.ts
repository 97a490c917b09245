import { StringDecoder } from 'node:string_decoder'
import { UsageError } from '../../errors.js'
import { itemFromText, type InputItem } from './input-item.js'

const WRAPPER_KEY = 'mediaLibraryEntries'

/**
 * Streams the elements of a JSON array, or of the `mediaLibraryEntries` array of a top-level object,
 * without holding the document: a small scanner tracks strings and nesting, cuts out the text of each
 * element and `JSON.parse`s it alone. Memory stays at one element (no streaming JSON library is
 * installed, and the scanner needs nothing more than this).
 */
export async function* scanJsonArray(chunks: AsyncIterable<Buffer>): AsyncGenerator<InputItem> {
  const decoder = new StringDecoder('utf8')
  let depth = 0
  let inString = false
  let escaped = false
  let line = 1
  let arrayDepth = -1 // the depth inside the entries array, once found
  let lastKey = '' // the last string seen directly inside the top-level object
  let keyParts: string[] | undefined
  let elementParts: string[] | undefined
  let elementLine = 0
  let index = 0
  let first = true
  let closed = false // the entries array has ended: later arrays are not entries

  const finish = (text: string): InputItem => itemFromText(index++, elementLine, text.trim())

  for await (const buffer of chunks) {
    let chunk = decoder.write(buffer)
    if (first && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
      first = false
    }
    let start = 0 // where the current element's text begins in this chunk
    let keyStart = 0
    const out: InputItem[] = []
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (c === 10) line++
      if (inString) {
        if (escaped) escaped = false
        else if (c === 92) escaped = true
        else if (c === 34) {
          inString = false
          if (keyParts) {
            keyParts.push(chunk.slice(keyStart, i))
            lastKey = keyParts.join('')
            keyParts = undefined
          }
        }
        continue
      }
      const atElementLevel = depth === arrayDepth && !closed
      if (atElementLevel && elementParts && (c === 44 || c === 93)) {
        elementParts.push(chunk.slice(start, i))
        out.push(finish(elementParts.join('')))
        elementParts = undefined
      } else if (atElementLevel && !elementParts && c !== 44 && c !== 93 && c > 32) {
        elementParts = []
        elementLine = line
        start = i
      }
      if (c === 34) {
        inString = true
        if (depth === 1 && arrayDepth === -1) {
          keyParts = []
          keyStart = i + 1
        }
      } else if (c === 91 || c === 123) {
        if (arrayDepth === -1) {
          if (depth === 0 && c === 91) arrayDepth = 1
          else if (depth === 1 && c === 91 && lastKey === WRAPPER_KEY) arrayDepth = 2
          else if (depth === 0 && c !== 123) throw new UsageError('Input is not a JSON array or object')
        }
        depth++
      } else if (c === 93 || c === 125) {
        if (atElementLevel && c === 93) closed = true
        depth--
        if (depth < 0) throw new UsageError(`Unbalanced JSON at line ${line}`)
      }
    }
    if (elementParts) elementParts.push(chunk.slice(start))
    if (keyParts) keyParts.push(chunk.slice(keyStart))
    yield* out
  }
  if (arrayDepth === -1) {
    throw new UsageError(`Input is neither a JSON array nor an object with a ${WRAPPER_KEY} array`)
  }
  if (depth !== 0 || inString) throw new UsageError(`The JSON input ends early (line ${line})`)
}
