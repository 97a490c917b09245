/**
 * What each index costs per entry on insert: the import benchmark's rows inserted into the keys-only
 * table (bench/import-ceiling.ts) with one more index at a time, in batches of 1,000, one transaction per
 * batch; the cost is the database's CPU time per entry (SQLite: this process; PostgreSQL: the backend's,
 * from /proc) minus that of the table without it: steadier than wall time on a shared machine. A new
 * index has to pay for itself against this table (docs/performance.md).
 *
 *   npm run bench:index-cost                 SQLite (and PostgreSQL when MEDIALIB_TEST_POSTGRES_URL is set)
 *
 * Options: --entries N (per measurement, default 30000), --runs N (median of, default 3), --dialects.
 */
import { measureCeiling, measureKeysOnly, type KeysOnlyOptions, type Timed } from './import-ceiling.js'
import { freshDatabase, median, PG_URL, type Dialect } from './import-server.js'
import { option } from './options.js'

const ENTRIES = Number(option('entries', '30000'))
const RUNS = Number(option('runs', '3'))
const BATCH = 1_000
const DIALECTS = option('dialects', PG_URL ? 'sqlite,postgres' : 'sqlite')
  .split(',')
  .filter((d) => d === 'sqlite' || (d === 'postgres' && PG_URL)) as Dialect[]

interface Variant {
  name: string
  /** The variant it adds to (its cost is measured against that one); none for a baseline. */
  base?: string
  options: KeysOnlyOptions
  /** medialib's whole schema (the schema ceiling) instead of the keys-only table. */
  schema?: true
}

const index = (name: string, columns: string, where = '') =>
  `CREATE INDEX {t}_${name} ON {t} (${columns})${where ? ` WHERE ${where}` : ''}`
const addColumn = (column: string, type: string) => `ALTER TABLE {t} ADD COLUMN ${column} ${type}`

function secondary(base: string, time: string, assetKey: string): Variant[] {
  const v = (name: string, extraDdl: string[]): Variant => ({ name, base, options: { extraDdl } })
  return [
    v('(project, seq)', [index('seq', 'project, seq')]),
    v('(project, media_type, seq)', [index('type', 'project, media_type, seq')]),
    v('(project, system_name, seq)', [index('system', 'project, system_name, seq')]),
    v('(project, created_at, seq)', [index('created', 'project, created_at, seq')]),
    v('(project, updated_at, seq)', [index('updated', 'project, updated_at, seq')]),
    v('(project, seq) where revoked', [
      addColumn('revoked_at', time),
      index('revoked', 'project, seq', 'revoked_at IS NOT NULL'),
    ]),
    v('(project, seq) where archived', [
      addColumn('archived_at', time),
      index('archived', 'project, seq', 'archived_at IS NOT NULL'),
    ]),
    v('(project, asset key)', [index('asset_key', `project, (${assetKey})`)]),
  ]
}

const FTS5 = `CREATE VIRTUAL TABLE {t}_fts USING fts5(search_text, content='{t}', content_rowid='seq',
  tokenize='unicode61 remove_diacritics 2')`

const SQLITE_VARIANTS: Variant[] = [
  { name: 'keys only', options: {} },
  ...secondary('keys only', 'TEXT', "json_extract(asset, '$.key')"),
  {
    name: 'FTS5, one INSERT … SELECT per batch',
    base: 'keys only',
    options: {
      extraDdl: [FTS5],
      afterBatch: 'INSERT INTO {t}_fts(rowid, search_text) SELECT seq, search_text FROM {t} WHERE seq >= ?',
    },
  },
  {
    name: 'FTS5, AFTER INSERT trigger per row',
    base: 'keys only',
    options: {
      extraDdl: [
        FTS5,
        `CREATE TRIGGER {t}_fts_insert AFTER INSERT ON {t} BEGIN
           INSERT INTO {t}_fts(rowid, search_text) VALUES (new.seq, new.search_text); END`,
      ],
    },
  },
  { name: "medialib's schema (schema ceiling)", base: 'keys only', options: {}, schema: true },
]

const SEQ = [
  addColumn('seq', 'bigint GENERATED ALWAYS AS IDENTITY'),
  'CREATE UNIQUE INDEX {t}_seq_unique ON {t} (seq)',
]
const VECTOR = addColumn(
  'search_vector',
  "tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
)
const gin = (withClause = '') => `CREATE INDEX {t}_search ON {t} USING gin (search_vector)${withClause}`

const POSTGRES_VARIANTS: Variant[] = [
  { name: 'keys only', options: {} },
  { name: 'keys only, unnest', options: { form: 'unnest' } },
  { name: 'seq identity + unique (seq)', base: 'keys only', options: { extraDdl: SEQ } },
  ...secondary('seq identity + unique (seq)', 'timestamptz', "asset->>'key'").map((v) => ({
    ...v,
    options: { extraDdl: [...SEQ, ...v.options.extraDdl!] },
  })),
  { name: 'generated tsvector, no index', base: 'keys only', options: { extraDdl: [VECTOR] } },
  {
    name: 'generated tsvector + GIN (fastupdate on)',
    base: 'keys only',
    options: { extraDdl: [VECTOR, gin()] },
  },
  {
    name: 'generated tsvector + GIN (fastupdate off)',
    base: 'keys only',
    options: { extraDdl: [VECTOR, gin(' WITH (fastupdate = off)')] },
  },
  {
    name: 'generated tsvector + GIN (pending list 16 MB)',
    base: 'keys only',
    options: { extraDdl: [VECTOR, gin(' WITH (gin_pending_list_limit = 16384)')] },
  },
  {
    name: 'generated tsvector + GIN (fastupdate on), unnest',
    base: 'keys only, unnest',
    options: { form: 'unnest', extraDdl: [VECTOR, gin()] },
  },
  {
    name: 'tsvector computed in the statement + GIN, unnest',
    base: 'keys only, unnest',
    options: {
      form: 'unnest',
      extraDdl: [addColumn('search_vector', 'tsvector'), gin()],
      computed: { column: 'search_vector', expression: "to_tsvector('simple', u.search_text)" },
    },
  },
  { name: "medialib's schema (schema ceiling)", base: 'keys only', options: {}, schema: true },
]

async function measure(dialect: Dialect, variant: Variant): Promise<Timed> {
  const db = await freshDatabase(dialect)
  try {
    return variant.schema
      ? await measureCeiling(db, ENTRIES, BATCH)
      : await measureKeysOnly(db, ENTRIES, BATCH, variant.options)
  } finally {
    await db.drop()
  }
}

for (const dialect of DIALECTS) {
  const variants = dialect === 'sqlite' ? SQLITE_VARIANTS : POSTGRES_VARIANTS
  const results = new Map<string, Timed[]>()
  // Runs interleave the variants, so that a burst of load on the machine does not land on one only.
  for (let run = 1; run <= RUNS; run++) {
    for (const variant of variants) {
      const result = await measure(dialect, variant)
      results.set(variant.name, [...(results.get(variant.name) ?? []), result])
      console.log(
        `${dialect} run ${run}: ${variant.name}: ${Math.round(result.rate)} entries/s, database CPU ${result.dbCpuUs.toFixed(1)} µs/entry`,
      )
    }
  }
  const rate = (name: string) => median(results.get(name)!.map((r) => r.rate))
  const cpu = (name: string) => median(results.get(name)!.map((r) => r.dbCpuUs))
  console.log(
    `\n${dialect}: insert cost per entry, batches of ${BATCH}, median of ${RUNS} run(s) of ${ENTRIES.toLocaleString('en')}`,
  )
  console.log('| table | entries/s | database CPU µs/entry | cost of the addition, CPU µs/entry |')
  console.log('|---|--:|--:|--:|')
  for (const v of variants) {
    const cost = v.base ? `${(cpu(v.name) - cpu(v.base)).toFixed(1)} (over ${v.base})` : '—'
    console.log(
      `| ${v.name} | ${Math.round(rate(v.name)).toLocaleString('en')} | ${cpu(v.name).toFixed(1)} | ${cost} |`,
    )
  }
}
