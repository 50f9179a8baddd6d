import type { Readable } from 'node:stream';

/** A route's answer that is a file to save (a CSV export), not a JSON document. */
export class FileDownload {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    /** Text, or a stream for exports too large to hold (a million-contact list). */
    readonly body: string | Readable,
  ) {}
}
