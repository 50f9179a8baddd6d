import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { retryCreationRace } from '../bus/index.ts';

/**
 * What the campaign service reports about each Campaign, for the resource's `status`:
 * the campaign processes own the numbers (they are in PostgreSQL), the operator owns the
 * resource. The report travels through a NATS KV bucket so that the operator needs no
 * database, and dependencies point one way: campaigns → this contract ← operator.
 */

export const CampaignRunStates = ['scheduled', 'running', 'paused', 'completed', 'stopped'] as const;
export type CampaignRunState = (typeof CampaignRunStates)[number];

/** Why a campaign cannot run: the Ready condition's reason while it cannot. */
export const CampaignProblemReasons = ['ListNotFound', 'ChannelNotFound', 'UnsupportedChannel', 'InvalidTemplate'] as const;
export type CampaignProblemReason = (typeof CampaignProblemReasons)[number];

const Count = z.number().int().min(0);

/** A campaign's progress, counted from its attempts. */
export const CampaignProgressReport = z.object({
  /** Contacts in the list. */
  total: Count,
  /** Contacts done with: sent + failed + skipped. */
  processed: Count,
  /** Messages handed to the channel (published, accepted or delivered). */
  sent: Count,
  delivered: Count,
  failed: Count,
  skipped: Count,
  /** Skipped contacts by reason (opted-out, do-not-contact, no-phone, no-email). */
  skippedByReason: z.record(z.string(), Count),
  /** Contacts waiting for their sending window. */
  waiting: Count,
  /** Contacts who replied within the reply window. */
  replied: Count,
});
export type CampaignProgressReport = z.infer<typeof CampaignProgressReport>;

export const CampaignStatusReport = z.object({
  tenant: z.string(),
  name: z.string(),
  state: z.enum(CampaignRunStates),
  /** Why it cannot run; null when it can. */
  problem: z.object({ reason: z.enum(CampaignProblemReasons), message: z.string() }).nullable(),
  progress: CampaignProgressReport,
  /** When it first started running, and when it completed or stopped (ISO 8601). */
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
export type CampaignStatusReport = z.infer<typeof CampaignStatusReport>;

/** The bucket of campaign reports: one entry per campaign, the latest report. */
export const CAMPAIGN_STATUS_BUCKET = 'parley_campaign_status';

/** `<namespace>.<name>`: names are DNS labels, so neither holds a dot. */
export function campaignStatusKey(tenant: string, name: string): string {
  return `${tenant}.${name}`;
}

/** Opens the bucket, creating it on first use (idempotent, and safe for processes creating it at the same time). */
export async function openCampaignStatusBucket(nc: NatsConnection): Promise<KV> {
  return retryCreationRace(() => new Kvm(nc).create(CAMPAIGN_STATUS_BUCKET, { history: 1, description: 'Parley campaign progress, written by the campaign service, read by the operator' }));
}

/** Writes a report unless the bucket holds the same one already; whether it wrote. */
export async function putCampaignStatus(kv: KV, report: CampaignStatusReport): Promise<boolean> {
  const key = campaignStatusKey(report.tenant, report.name);
  const value = canonicalJson(report);
  const current = await kv.get(key);
  if (current?.operation === 'PUT' && current.string() === value) return false;
  await kv.put(key, value);
  return true;
}

/** Parses an entry's value; undefined for one this version cannot read (a newer writer). */
export function parseCampaignStatus(value: string): CampaignStatusReport | undefined {
  try {
    const parsed = CampaignStatusReport.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with sorted keys: the same report is the same string, so an unchanged one is not rewritten. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
