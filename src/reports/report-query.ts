import { z } from 'zod';
import { INTERVAL_MS } from './interval.ts';
import { isTimeZone } from '../contract/index.ts';

export const Granularities = ['15m', 'hour', 'day', 'total'] as const;
export type Granularity = (typeof Granularities)[number];

/** The longest period one report may cover. */
export const MAX_REPORT_DAYS = 400;

const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const Names = z
  .string()
  .max(2048)
  .transform((s) => s.split(',').filter((n) => n.length > 0))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,253}$/, 'a comma-separated list of names')).max(100));

/** A report request, as the query string of `GET /v1/reports/…` gives it. */
export const ReportQuery = z
  .strictObject({
    /** Start of the period (inclusive), on a 15-minute boundary. */
    from: Instant,
    /** End of the period (exclusive), on a 15-minute boundary. */
    to: Instant,
    /** @default "hour" */
    granularity: z.enum(Granularities).default('hour'),
    /** Where hours and days start (IANA). @default "UTC" */
    timeZone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Paris').default('UTC'),
    /** Only these queues, agents or wrap-up codes (comma-separated). */
    keys: Names.optional(),
    /** `csv` for a CSV download. @default "json" */
    format: z.enum(['json', 'csv']).default('json'),
    /** Measure the service level at this threshold instead of each queue's target. */
    serviceLevelSeconds: z.coerce.number().int().min(1).max(86_400).optional(),
  })
  .refine((q) => q.from.getTime() % INTERVAL_MS === 0 && q.to.getTime() % INTERVAL_MS === 0, { message: 'from and to must fall on 15-minute boundaries', path: ['from'] })
  .refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] })
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_REPORT_DAYS * 86_400_000, { message: `a report covers at most ${MAX_REPORT_DAYS} days`, path: ['to'] });
export type ReportQuery = z.infer<typeof ReportQuery>;
