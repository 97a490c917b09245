import path from 'node:path'
import type { Config } from '../config.js'
import type { BlobStore } from './blob-store.js'
import { createDiskBlobStore } from './disk-blob-store.js'
import { createProjectStorage, layoutOf, scopedStore, type ProjectStorage } from './project-storage.js'

/**
 * The physical stores the config names, and the project namespaces over them:
 * - disk: `<dataDir>/projects/<project>/files/<key>` and `…/derived/…`; the layout before namespaces
 *   kept every key in `<dataDir>/blobs/<key>` (`legacy`, read only by the upgrade);
 * - S3: `<prefix><projectPrefix>files/<key>` (`projectPrefix` defaults to `projects/{project}/`), or
 *   `<prefix>files/<key>` in the project's own bucket (`projectBuckets`); the layout before namespaces
 *   kept keys at `<prefix><key>` in the main bucket.
 */
export function createStorage(config: Config): { storage: ProjectStorage; legacy: BlobStore } {
  if (config.storage.driver === 's3') {
    const s3 = config.storage.s3
    const buckets = new Map<string, BlobStore>()
    const bucketStore = (bucket: string): BlobStore => {
      let root = buckets.get(bucket)
      if (!root) {
        // The AWS SDK (about 24 MB of memory) loads only when S3 is configured, on first use.
        const store = import('./s3-blob-store.js').then(({ createS3BlobStore }) =>
          createS3BlobStore({
            ...s3,
            bucket,
            ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
            ...(s3.accessKeyId ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : {}),
          }),
        )
        root = {
          put: async (key, body, options) => (await store).put(key, body, options),
          get: async (key, range) => (await store).get(key, range),
          read: async (key) => (await store).read(key),
          stat: async (key) => (await store).stat(key),
          delete: async (key) => (await store).delete(key),
          list: async (prefix) => (await store).list(prefix),
        }
        buckets.set(bucket, root)
      }
      return root
    }
    const root = bucketStore(s3.bucket)
    const shared = createProjectStorage(root, layoutOf(s3.projectPrefix))
    // A project with a bucket of its own has the whole bucket (under `prefix`) as its namespace root.
    const ownBucket = (project: string) =>
      Object.hasOwn(s3.projectBuckets, project) ? s3.projectBuckets[project] : undefined
    const storage: ProjectStorage = {
      files: (project) => {
        const bucket = ownBucket(project)
        return bucket ? scopedStore(bucketStore(bucket), 'files/') : shared.files(project)
      },
      derived: (project) => {
        const bucket = ownBucket(project)
        return bucket ? scopedStore(bucketStore(bucket), 'derived/') : shared.derived(project)
      },
    }
    return { storage, legacy: root }
  }
  return {
    storage: createProjectStorage(
      createDiskBlobStore(path.join(config.dataDir, 'projects')),
      layoutOf('{project}/'),
    ),
    legacy: createDiskBlobStore(path.join(config.dataDir, 'blobs')),
  }
}
