import {
  agentReport,
  campaignCsvRow,
  campaignReport,
  CampaignReportQuery,
  queueReport,
  reportCsv,
  ReportQuery,
  skillsReport,
  wrapUpReport,
  type ServiceLevelTarget,
} from '../reports/index.ts';
import { forbidden, isStaff } from './access.ts';
import { FileDownload } from './download.ts';
import type { RouteContext, RouteSpec } from './routes.ts';

/**
 * Historical reports (docs/reports.md). Supervisors and admins read their tenant's; an
 * agent reads only their own agent report. The tenant is always the token's.
 */

const queueColumns = [
  'interval',
  'intervalLocal',
  'queue',
  'offered',
  'answered',
  'abandoned',
  'flowedOut',
  'transferred',
  'abandonRate',
  'averageSpeedOfAnswerSeconds',
  'handled',
  'averageTalkSeconds',
  'averageAfterWorkSeconds',
  'averageHandleSeconds',
  'serviceLevel',
  'serviceLevelTarget',
  'serviceLevelSeconds',
] as const;
const timeColumns = ['averageTalkSeconds', 'averageAfterWorkSeconds', 'averageHandleSeconds'] as const;
const agentColumns = ['interval', 'intervalLocal', 'agent', 'offers', 'offersRejected', 'offersTimedOut', 'answered', 'handled', ...timeColumns, 'transferred', 'evaluations', 'averageScore'] as const;
const wrapUpColumns = ['interval', 'intervalLocal', 'wrapUpCode', 'handled', ...timeColumns, 'share'] as const;
const skillColumns = [
  'interval',
  'intervalLocal',
  'skill',
  'offered',
  'answered',
  'abandoned',
  'abandonRate',
  'averageSpeedOfAnswerSeconds',
  'handled',
  ...timeColumns,
  'serviceLevel',
  'serviceLevelSeconds',
] as const;
const campaignColumns = [
  'campaign',
  'state',
  'channel',
  'list',
  'startedAt',
  'endedAt',
  'contacts',
  'attempted',
  'sent',
  'delivered',
  'failed',
  'skipped',
  'skippedByReason',
  'waiting',
  'optOuts',
  'replies',
  'replyRate',
] as const;

function answer(name: string, q: ReportQuery, rows: readonly object[], columns: readonly string[]): unknown {
  if (q.format === 'csv') {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    return new FileDownload(`${name}-${day(q.from)}-${day(q.to)}.csv`, 'text/csv; charset=utf-8', reportCsv(rows, columns));
  }
  return { report: name, from: q.from.toISOString(), to: q.to.toISOString(), granularity: q.granularity, timeZone: q.timeZone, rows };
}

function requireStaff(ctx: RouteContext): void {
  if (!isStaff(ctx.claims)) throw forbidden('supervisor or admin role required');
}

export const reportRoutes: RouteSpec[] = [
  {
    method: 'GET',
    url: '/v1/reports/queues',
    auth: 'bearer',
    query: ReportQuery,
    async handler(ctx) {
      requireStaff(ctx);
      const q = ctx.query as ReportQuery;
      const targetOf = (queue: string): ServiceLevelTarget | undefined => ctx.deps.config?.queue(ctx.claims.tenant, queue)?.serviceLevel;
      return answer('queues', q, await queueReport(ctx.deps.db, ctx.claims.tenant, q, targetOf), queueColumns);
    },
  },
  {
    method: 'GET',
    url: '/v1/reports/agents',
    auth: 'bearer',
    query: ReportQuery,
    async handler(ctx) {
      let q = ctx.query as ReportQuery;
      if (!isStaff(ctx.claims)) {
        if (q.keys && q.keys.some((agent) => agent !== ctx.claims.sub)) throw forbidden("an agent reads only their own agent report");
        q = { ...q, keys: [ctx.claims.sub] };
      }
      return answer('agents', q, await agentReport(ctx.deps.db, ctx.claims.tenant, q), agentColumns);
    },
  },
  {
    method: 'GET',
    url: '/v1/reports/wrap-up',
    auth: 'bearer',
    query: ReportQuery,
    async handler(ctx) {
      requireStaff(ctx);
      const q = ctx.query as ReportQuery;
      return answer('wrap-up', q, await wrapUpReport(ctx.deps.db, ctx.claims.tenant, q), wrapUpColumns);
    },
  },
  {
    method: 'GET',
    url: '/v1/reports/skills',
    auth: 'bearer',
    query: ReportQuery,
    async handler(ctx) {
      requireStaff(ctx);
      const q = ctx.query as ReportQuery;
      return answer('skills', q, await skillsReport(ctx.deps.db, ctx.claims.tenant, q), skillColumns);
    },
  },
  {
    method: 'GET',
    url: '/v1/reports/campaigns',
    auth: 'bearer',
    query: CampaignReportQuery,
    async handler(ctx) {
      requireStaff(ctx);
      const q = ctx.query as CampaignReportQuery;
      const tenant = ctx.claims.tenant;
      const rows = await campaignReport(ctx.deps.db, tenant, q, (name) => ctx.deps.config?.campaign?.(tenant, name)?.spec.replies?.window);
      if (q.format === 'csv') return new FileDownload('campaigns.csv', 'text/csv; charset=utf-8', reportCsv(rows.map(campaignCsvRow), campaignColumns));
      return { report: 'campaigns', rows };
    },
  },
];
