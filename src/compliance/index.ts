/** Messaging compliance: addresses, keywords, do-not-contact lists, the consent ledger and the send-time suppression check. */
export * from './address.ts';
export * from './keywords.ts';
export * from './errors.ts';
export * from './rejected-rows.ts';
export * from './csv-stream.ts';
export * from './dnc-lists.ts';
export * from './dnc-csv.ts';
export * from './consent-ledger.ts';
export * from './consent-export.ts';
export * from './suppression.ts';
