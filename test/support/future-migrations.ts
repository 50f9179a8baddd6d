import { sql, type Kysely, type Migration } from 'kysely';
import { raiseSchemaFloor } from '../../src/store/index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run on any schema version
type AnySchema = Kysely<any>;

/** Migrations of releases after this one, as a test plays them (names sort after every real one). */
export const FUTURE_ADDITIVE = '2099-01-01T0001-future-additive';
/** Changes what this release reads: raises the schema floor. */
export const FUTURE_BREAKING = '2099-01-01T0002-future-breaking';

export const futureMigrations: Record<string, Migration> = {
  [FUTURE_ADDITIVE]: {
    up: async (db: AnySchema) => {
      await sql`create table future_notes (id text primary key)`.execute(db);
    },
  },
  [FUTURE_BREAKING]: {
    up: async (db: AnySchema) => {
      await sql`alter table future_notes add column body text not null default ''`.execute(db);
      await raiseSchemaFloor(db, FUTURE_BREAKING);
    },
  },
};
