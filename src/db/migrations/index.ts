import type { MigrationProvider } from 'kysely'
import type { DialectCaps } from '../dialect.js'
import { initialMigration } from './0001-initial.js'
import { librarySearchMigration } from './0002-library-search.js'
import { urlImportMigration } from './0003-url-import.js'
import { importJobListMigration } from './0004-import-job-list.js'
import { storageNamespacesMigration } from './0005-storage-namespaces.js'
import { ftsPerBatchMigration } from './0006-fts-per-batch.js'
import { entryLifecycleMigration } from './0007-entry-lifecycle.js'
import { entryEventsMigration } from './0008-entry-events.js'
import { imageVariantsMigration } from './0009-image-variants.js'
import { uploadsMigration } from './0010-uploads.js'
import { variantAllowListsMigration } from './0011-variant-allow-lists.js'
import { sourcesMigration } from './0012-sources.js'
import { sourceScansMigration } from './0014-source-scans.js'
import { scanSeqMigration } from './0015-scan-seq.js'
import { sourceFeaturesMigration } from './0016-source-features.js'
import { sourceMissingMigration } from './0017-source-missing.js'
import { importItemAbsentMigration } from './0018-import-item-absent.js'

/** Every migration by name; Kysely runs them in name order and records each name it has run. */
export function migrationProvider(caps: DialectCaps): MigrationProvider {
  return {
    getMigrations: async () => ({
      '0001-initial': initialMigration(caps),
      '0002-library-search': librarySearchMigration(caps),
      '0003-url-import': urlImportMigration(caps),
      '0004-import-job-list': importJobListMigration(),
      '0005-storage-namespaces': storageNamespacesMigration(),
      '0006-fts-per-batch': ftsPerBatchMigration(caps),
      '0007-entry-lifecycle': entryLifecycleMigration(caps),
      '0008-entry-events': entryEventsMigration(caps),
      '0009-image-variants': imageVariantsMigration(caps),
      '0010-uploads': uploadsMigration(caps),
      '0011-variant-allow-lists': variantAllowListsMigration(),
      '0012-sources': sourcesMigration(caps),
      '0014-source-scans': sourceScansMigration(caps),
      '0015-scan-seq': scanSeqMigration(),
      '0016-source-features': sourceFeaturesMigration(caps),
      '0017-source-missing': sourceMissingMigration(),
      '0018-import-item-absent': importItemAbsentMigration(),
    }),
  }
}
