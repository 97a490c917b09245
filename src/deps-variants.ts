import path from 'node:path'
import type { Config } from './config.js'
import type { AssetKeyRepository } from './db/asset-key.repository.js'
import type { Database } from './db/database.js'
import { createImageVariantRepository, type ImageVariantRepository } from './db/image-variant.repository.js'
import type { SafeFetcher } from './jobs/safe-fetcher.js'
import type { ProjectService } from './projects/project.service.js'
import type { ProjectStorage } from './storage/project-storage.js'
import { isWithheld } from './media/withheld.js'
import { createImagePool } from './media/image-pool.js'
import type { LibraryService } from './media/library.service.js'
import { createVariantCache } from './media/variant-cache.js'
import { createVariantService, type VariantService } from './media/variant.service.js'
import { createVariantSources } from './media/variant-source.js'

/** Image variants (issue #17): the service, and the signing settings the CLI manages. */
export interface VariantDeps {
  variants: VariantService
  imageSigning: Pick<ImageVariantRepository, 'signing' | 'updateSigning'>
}

export function createVariantDeps(
  config: Config,
  database: Database,
  deps: {
    library: LibraryService
    projects: ProjectService
    assetKeys: AssetKeyRepository
    blobs: ProjectStorage
    fetcher: SafeFetcher
    logger: { warn(obj: object, msg: string): void }
  },
): VariantDeps {
  const repository = createImageVariantRepository(database)
  const v = config.variants
  const cache = createVariantCache({
    blobs: deps.blobs,
    repository,
    maxBytes: v.cacheBytes,
    onError: (err) => deps.logger.warn({ err }, 'variant cache bookkeeping failed'),
  })
  const sources = createVariantSources({
    blobs: deps.blobs,
    cache,
    ...(v.externalPreviews
      ? {
          external: {
            fetcher: deps.fetcher,
            tmpDir: path.join(config.dataDir, 'tmp', 'previews'),
            maxBytes: config.fetch.maxBytes.image,
            failureSeconds: v.externalFailureSeconds,
            // The reason only: a URL may carry credentials in its query, so it is not logged.
            onFailure: (_url, err) =>
              deps.logger.warn({ reason: (err as Error).message }, 'external preview fetch failed'),
          },
        }
      : {}),
  })
  const variants = createVariantService({
    entryOfKey: (project, key) => deps.assetKeys.entryOfKey(project, key),
    getEntry: (project, id) => deps.library.getOrFail(project, id),
    mediaTypesOf: (project) => deps.projects.mediaTypesOf(project),
    isWithheld,
    signing: (project) => repository.signing(project),
    sources,
    cache,
    pool: createImagePool({
      size: v.concurrency,
      perProject: Math.ceil(v.concurrency / 2),
      releaseAfterMs: 2_000,
    }),
    allowList: { sizes: v.allowedSizes, formats: v.allowedFormats },
    maxDimension: v.maxDimension,
    maxInputPixels: v.maxInputPixels,
    timeoutSeconds: config.limits.imageTimeoutSeconds,
    onCacheError: (err) => deps.logger.warn({ err }, 'variant not cached'),
  })
  return { variants, imageSigning: repository }
}
