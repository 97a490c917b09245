/** The seed page's example request, unchanged. */
export const SEED_REQUEST = {
  mediaLibraryEntries: [
    {
      id: 'custom-1',
      systemName: 'externalSystem',
      externalId: '6hedie82',
      mediaType: 'image',
      asset: {
        key: '2020/1/22/3a2ede93.jpeg',
        url: 'http://li.s3.amazonaws.com/2020/1/22/3a2ede93.jpeg',
        size: 290339,
        width: 1200,
        height: 750,
        filename: 'image.jpg',
        mimeType: 'image/jpeg',
      },
      metadata: {
        title: 'Custom title',
      },
    },
  ],
}

/** The seed page's error-case response, to the letter. */
export const SEED_ERROR_RESPONSE = {
  mediaLibraryEntries: [
    {
      ok: false,
      correlation: 'id: custom-1',
      status: 409,
      error: 'UniqueIdViolation',
      error_details: { message: "id is not unique: 'custom-1'" },
    },
    {
      ok: false,
      correlation: 'id: custom-2',
      status: 409,
      error: 'UniqueIdViolation',
      error_details: { message: "externalId is not unique: 'external-1'" },
    },
    {
      ok: false,
      correlation: 'id: custom-3',
      status: 400,
      error: 'ValidationError',
      error_details: { message: 'An asset with an externalId also requires a systemName' },
    },
    {
      ok: false,
      correlation: 'id: custom-4',
      status: 400,
      error: 'MetadataValidationErrors',
      error_details: {
        message: 'Metadata validation failed.',
        invalidMetadata: [{ metadataProperty: 'title', message: "The value of '/title' should be string" }],
      },
    },
  ],
}

let counter = 0

/** A valid image entry of about 400 bytes; fields can be overridden or removed (set to undefined). */
export function imageEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1
  const n = `${process.pid}-${counter}`
  const entry: Record<string, unknown> = {
    id: `img-${n}`,
    systemName: 'legacy-archive',
    externalId: `ext-${n}`,
    mediaType: 'image',
    asset: {
      key: `2024/05/17/${n}.jpg`,
      url: `https://cdn.example.com/2024/05/17/${n}.jpg`,
      size: 123456,
      width: 1920,
      height: 1080,
      filename: `photo-${n}.jpg`,
      mimeType: 'image/jpeg',
    },
    metadata: { title: `Photo ${n}`, caption: 'A caption', source: 'Archive' },
    ...overrides,
  }
  for (const [k, v] of Object.entries(entry)) if (v === undefined) delete entry[k]
  return entry
}
