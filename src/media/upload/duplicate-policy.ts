/** What an upload of bytes the project already holds does: answer the existing entry, add another, or 409. */
export type DuplicatePolicy = 'skip' | 'allow' | 'reject'
export const DUPLICATE_POLICIES: readonly DuplicatePolicy[] = ['skip', 'allow', 'reject']
