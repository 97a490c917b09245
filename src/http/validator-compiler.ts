import type { FastifyInstance } from 'fastify'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { STREAMED_BODY } from './schemas/upload.schemas.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

function ajvFor(coerce: boolean): Ajv {
  const ajv = new Ajv({
    // Query strings and path parameters arrive as text: coerce them to the schema's types. A JSON body
    // already has types: coercing it would turn `{"mediaLibraryEntries": false}` into `[false]`.
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    // Unknown body properties are refused (where a schema closes an object), never silently dropped.
    removeAdditional: coerce,
    addUsedSchema: false,
    // allErrors stays off for request schemas: with it, a crafted body can make validation expensive.
    allErrors: false,
    strict: false,
  })
  addFormats(ajv)
  return ajv
}

/** Request validation: bodies as sent, query strings and parameters coerced from text. */
export function registerValidatorCompiler(app: FastifyInstance): void {
  const body = ajvFor(false)
  const text = ajvFor(true)
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // A streamed body (multipart uploads) is read and checked by its route, part by part.
    if (httpPart === 'body' && (schema as Record<string, unknown>)[STREAMED_BODY] === true) return () => true
    return httpPart === 'body' ? body.compile(schema) : text.compile(schema)
  })
}
