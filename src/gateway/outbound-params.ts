import { z } from 'zod';
import { ParleyError, ResourceName } from '../contract/index.ts';
import { forbidden, isStaff } from './access.ts';
import { describeIssues } from './route-schemas.ts';
import type { RouteContext } from './routes.ts';

/** Path and query schemas of the contact list, do-not-contact and campaign routes. */

const ListId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a list id is 1 to 128 letters, digits, _ or -');
const Country = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 country code such as US or FR');
/** A header name of the uploaded file. */
const Column = z.string().min(1).max(128);

export const ListParams = z.object({ listId: ListId });
export const DncEntryParams = z.object({ listId: ListId, address: z.string().min(1).max(320) });
export const CampaignParams = z.object({ name: ResourceName });

/** `?phone=mobile&email=mail&columns=first_name,city&country=FR`: the file's column mapping and default country. */
export const ContactImportQuery = z.strictObject({
  phone: Column.optional(),
  email: Column.optional(),
  id: Column.optional(),
  timeZone: Column.optional(),
  /** Comma-separated: the columns kept with each contact. */
  columns: z
    .string()
    .max(4096)
    .transform((v) => v.split(',').map((c) => c.trim()).filter((c) => c !== ''))
    .optional(),
  /** Sets the list's default country first (numbers written without a country code). */
  country: Country.optional(),
});
export type ContactImportQuery = z.infer<typeof ContactImportQuery>;

export const DncImportQuery = z.strictObject({ column: Column.optional(), country: Country.optional() });

export const ConsentExportQuery = z.strictObject({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });

export const ContactListBody = z.strictObject({ name: z.string().min(1).max(200), defaultCountry: Country.nullable().optional() });
export const DncListBody = z.strictObject({ name: z.string().min(1).max(200), channelKind: z.string().regex(/^[a-z]{1,32}$/).nullable().optional() });
export const ContactBody = z.strictObject({
  id: z.string().min(1).max(128).optional(),
  phone: z.string().max(64).optional(),
  email: z.string().max(320).optional(),
  timeZone: z.string().max(64).optional(),
  columns: z.record(z.string().max(128), z.string().max(10_000)).optional(),
  /** First in the list: a running campaign reaches it next. */
  top: z.boolean().optional(),
});
export const DncEntriesBody = z.strictObject({
  entries: z.array(z.strictObject({ address: z.string().min(1).max(320), note: z.string().max(500).optional() })).min(1).max(1000),
  /** For phone numbers written without a country code. */
  defaultCountry: Country.optional(),
});

/** @throws ParleyError `forbidden` unless a supervisor or an admin: lists and campaigns are theirs to run. */
export function requireStaff(ctx: RouteContext): void {
  if (!isStaff(ctx.claims)) throw forbidden('supervisor or admin role required');
}

export function param(ctx: RouteContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route parameter ${name} is missing`);
  return value;
}

/** A JSON body checked against its schema; failures are `invalidEnvelope` naming the fields. */
export function bodyOf<T>(ctx: RouteContext, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(ctx.body);
  if (!parsed.success) throw new ParleyError('invalidEnvelope', describeIssues(parsed.error.issues));
  return parsed.data;
}
