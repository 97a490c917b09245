import { Readable } from 'node:stream'
import { makeImage } from '../helpers/media-server.js'
import type { TestServer } from '../helpers/server.js'

/** A JPEG of one colour put in the project's storage, and the `asset` of an import entry pointing at it. */
export async function storePhoto(
  server: TestServer,
  project: string,
  size: { width: number; height: number },
  rgb: [number, number, number],
) {
  const bytes = await makeImage('jpeg', size.width, size.height, rgb)
  await server.deps.blobs.files(project).put('ui/photo.jpg', Readable.from([bytes]))
  return {
    key: 'ui/photo.jpg',
    url: 'http://127.0.0.1/ui/photo.jpg',
    size: bytes.length,
    ...size,
    filename: 'photo.jpg',
    mimeType: 'image/jpeg',
  }
}
