import type { Kysely, Migration } from 'kysely'

/** The project's URL-import jobs, newest first (the UI's job list): an index instead of a sort of every job. */
export function importJobListMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('import_jobs_project_created')
        .on('import_jobs')
        .columns(['project', 'created_at', 'id'])
        .execute()
    },
    async down() {
      throw new Error('0004-import-job-list cannot be reverted')
    },
  }
}
