import { createAjv } from '../../src/media/ajv.js'
import { createEntryValidator, type EntryValidator } from '../../src/media/entry-validator.js'
import { defaultMediaTypes } from '../../src/media/media-types/media-type.js'
import { compileMediaType, type CompiledMediaType } from '../../src/media/media-types/metadata-validator.js'

/** The real entry validator and the default media types (pure, no I/O: nothing to fake). */
export function realValidation(): {
  validator: EntryValidator
  mediaTypes: ReadonlyMap<string, CompiledMediaType>
} {
  const ajv = createAjv()
  return {
    validator: createEntryValidator(ajv),
    mediaTypes: new Map(defaultMediaTypes().map((c) => [c.handle, compileMediaType(ajv, c)])),
  }
}
