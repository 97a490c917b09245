/** A source scan's counts as the status shows them: created, updated, missing, unchanged, failed. */
export const scanCounts = (
  created: number,
  updated: number,
  missing: number,
  unchanged: number,
  failed: number,
) => ({
  created,
  updated,
  missing,
  unchanged,
  failed,
})
