import { Ajv, type ErrorObject, type SchemaValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { keyProblem } from '../storage/key.js'

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** One Ajv for entries and metadata. Schemas are compiled once (per media type), never per request. */
export function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    // A property named like an Object.prototype member (`constructor`, `toString`) must not be
    // seen as present when the object only inherits it.
    ownProperties: true,
  })
  addFormats(ajv)
  // Annotation: a sentence that replaces Ajv's wording for errors raised by the schema it sits on.
  ajv.addKeyword({ keyword: 'errorText', schemaType: 'string' })
  // `storageKey: true`: the one key grammar of src/storage/key.ts, with the rule a key breaks as the message.
  const storageKey: SchemaValidateFunction = (_schema: boolean, data: unknown) => {
    const problem = keyProblem(data)
    storageKey.errors = problem ? [{ keyword: 'storageKey', message: problem, params: {} }] : undefined
    return problem === undefined
  }
  ajv.addKeyword({
    keyword: 'storageKey',
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    validate: storageKey,
  })
  return ajv
}

/** Ajv's wording, or the schema's own `errorText` when it has one. */
export function ruleOf(error: ErrorObject): string {
  const parent = error.parentSchema as { errorText?: unknown } | undefined
  if (parent && typeof parent.errorText === 'string') return parent.errorText
  return error.message ?? 'is invalid'
}

/**
 * Keeps the first error per instance path: a wrong type need not also report each violated bound.
 * A missing or an unexpected property counts as its own path, so each one is reported.
 */
export function firstPerPath(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>()
  const out: ErrorObject[] = []
  for (const e of errors) {
    const key =
      e.keyword === 'required'
        ? `${e.instancePath}/${String(e.params.missingProperty)}`
        : e.keyword === 'additionalProperties'
          ? `${e.instancePath}/${String(e.params.additionalProperty)}`
          : e.instancePath
    if (seen.has(key)) continue
    seen.add(key)
    out.push(e)
  }
  return out
}
