import { CsvError } from 'csv-parse';
import { CampaignNotFoundError, CampaignStateError } from '../campaigns/index.ts';
import { DncListNotFoundError, InvalidAddressError } from '../compliance/index.ts';
import { ColumnMappingError, ContactListNotFoundError, DuplicateContactError, InvalidContactError } from '../contacts/index.ts';
import { ParleyError } from '../contract/index.ts';
import { HttpProblem } from './http-errors.ts';
import type { RouteContext } from './routes.ts';

/**
 * The contacts, compliance and campaign modules' named errors as HTTP problems, at the
 * edge only. Their messages name the list, the column or the state, never a customer
 * other than the one the caller sent.
 */
export function asProblem(err: unknown): unknown {
  if (err instanceof ContactListNotFoundError) return new HttpProblem('unknownContactList', `no contact list ${JSON.stringify(err.listId)}`, { cause: err });
  if (err instanceof DncListNotFoundError) return new HttpProblem('unknownDncList', `no do-not-contact list ${JSON.stringify(err.listId)}`, { cause: err });
  if (err instanceof CampaignNotFoundError) return new HttpProblem('unknownCampaign', `no campaign ${JSON.stringify(err.campaign)}`, { cause: err });
  if (err instanceof InvalidContactError) return new HttpProblem('invalidContact', err.message, { cause: err });
  if (err instanceof DuplicateContactError) return new HttpProblem('duplicateContact', err.message, { cause: err });
  if (err instanceof InvalidAddressError) return new HttpProblem('invalidAddress', err.message, { cause: err });
  if (err instanceof ColumnMappingError) return new HttpProblem('invalidCsv', err.message, { cause: err });
  // A file the CSV parser cannot get past (a do-not-contact import is all or nothing).
  if (err instanceof CsvError) return new HttpProblem('invalidCsv', `line ${String((err as { lines?: number }).lines ?? '?')}: ${err.message}`, { cause: err });
  if (err instanceof CampaignStateError) return new HttpProblem('campaignStateConflict', err.message, { cause: err });
  // The domain's own argument checks (a lowercase country code, a file without an address column).
  if (err instanceof RangeError) return new ParleyError('invalidEnvelope', err.message, { cause: err });
  return err;
}

/** A handler whose domain errors leave as problems (see {@link asProblem}). */
export function translated<T>(handler: (ctx: RouteContext) => Promise<T>): (ctx: RouteContext) => Promise<T> {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (err) {
      throw asProblem(err);
    }
  };
}
