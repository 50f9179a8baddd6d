import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A supervisor's evaluation form (migration 2026-12-05T0802). */
export interface EvaluationFormTable {
  tenant: string;
  id: string;
  name: string;
  definition: ColumnType<unknown, string, string>;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  archived_at: Timestamp | null;
}

/** One evaluator's scoring of one closed conversation, for the agent who handled it. */
export interface EvaluationTable {
  tenant: string;
  id: string;
  form_id: string;
  conversation_id: string;
  agent_id: string;
  evaluator: string;
  answers: ColumnType<unknown, string, string>;
  comment: string | null;
  score: number;
  critical_score: number | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface QualityTables {
  evaluation_forms: EvaluationFormTable;
  evaluations: EvaluationTable;
}
