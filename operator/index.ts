/** The operator: turns Channel, Queue and Campaign resources into live configuration. */
export * from './sync-folder.ts';
