/** Contact lists for campaigns: lists, streamed CSV import and export, contacts added one at a time. */
export * from './errors.ts';
export * from './contact-lists.ts';
export * from './contact-fields.ts';
export * from './column-mapping.ts';
export * from './add-contact.ts';
export * from './import-contacts.ts';
export * from './export-contacts.ts';
