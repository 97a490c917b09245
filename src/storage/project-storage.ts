import type { BlobStat, BlobStore } from './blob-store.js'
import { checkKey, keyProblem, MAX_STORE_KEY_BYTES } from './key.js'

/**
 * Blob storage split by project. Each project has two namespaces in the physical store:
 * - `files`: the client's keys, exactly as the API names them (every relative key that follows the key
 *   grammar, `v/…` included);
 * - `derived`: thumbnails and variants, under names the server makes, which no client key can reach.
 * Nothing a client of one project sends can name a blob of another project.
 */
export interface ProjectStorage {
  /** The project's own keys (originals), as the API names them. */
  files(project: string): BlobStore
  /** Files the server derives for the project (thumbnails, variants). */
  derived(project: string): BlobStore
}

/** Where a project's namespaces sit in the physical store (see docs/storage.md). */
export interface ProjectLayout {
  /** The physical prefix of a project's client keys, ending in `/`. */
  files(project: string): string
  /** The physical prefix of a project's derived files, ending in `/`; disjoint from every `files` prefix. */
  derived(project: string): string
}

const PROJECT = /^[a-z][a-z0-9-]*$/

function checkProject(project: string): string {
  if (!PROJECT.test(project))
    throw new Error(`Invalid project handle for storage: ${JSON.stringify(project)}`)
  return project
}

/**
 * `{template}` with `{project}` replaced: `projects/{project}/` gives `projects/<project>/files/…` and
 * `projects/<project>/derived/…`.
 */
export function layoutOf(template: string): ProjectLayout {
  if (!template.includes('{project}') || !template.endsWith('/')) {
    throw new Error(`The project prefix template must contain {project} and end in '/': ${template}`)
  }
  const base = (project: string) => template.replaceAll('{project}', checkProject(project))
  return { files: (p) => `${base(p)}files/`, derived: (p) => `${base(p)}derived/` }
}

/**
 * A view of `root` in which every key is a client key under `prefix`. Writes of a key outside the grammar
 * throw InvalidKeyError; reads of one find nothing (an entry stored before the grammar may name such a key:
 * it is a 404, never a 500).
 */
export function scopedStore(root: BlobStore, prefix: string): BlobStore {
  const full = (key: string) => checkKey(prefix + checkKey(key), MAX_STORE_KEY_BYTES)
  const readable = (key: string) => keyProblem(key) === undefined
  const relative = (stat: BlobStat | undefined, key: string) => (stat ? { ...stat, key } : undefined)
  const putFile = root.putFile?.bind(root)
  const putBytes = root.putBytes?.bind(root)
  const read = root.read?.bind(root)
  const localFile = root.localFile?.bind(root)
  return {
    put: async (key, body, options) => ({ ...(await root.put(full(key), body, options)), key }),
    ...(putFile
      ? { putFile: async (key, file, options) => ({ ...(await putFile(full(key), file, options)), key }) }
      : {}),
    ...(putBytes
      ? { putBytes: async (key, bytes, options) => ({ ...(await putBytes(full(key), bytes, options)), key }) }
      : {}),
    get: async (key, range) => (readable(key) ? root.get(full(key), range) : undefined),
    ...(read ? { read: async (key) => (readable(key) ? read(full(key)) : undefined) } : {}),
    ...(localFile ? { localFile: async (key) => (readable(key) ? localFile(full(key)) : undefined) } : {}),
    stat: async (key) => (readable(key) ? relative(await root.stat(full(key)), key) : undefined),
    delete: (key) => root.delete(full(key)),
    list: async (start) => (await root.list(prefix + start)).map((k) => k.slice(prefix.length)),
  }
}

/** Project namespaces over one physical store. */
export function createProjectStorage(root: BlobStore, layout: ProjectLayout): ProjectStorage {
  return {
    files: (project) => scopedStore(root, layout.files(project)),
    derived: (project) => scopedStore(root, layout.derived(project)),
  }
}
