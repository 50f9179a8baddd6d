import type { Readable } from 'node:stream';

/** A route's answer that is a file (a CSV export, an e-mail attachment), not a JSON document; a stream is sent as it is read. */
export class FileDownload {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    readonly body: string | Buffer | Readable,
    /**
     * `inline` only for what a browser shows without running it (images); `cacheControl`
     * replaces the API's `no-store`. @default { inline: false, cacheControl: undefined }
     */
    readonly options: { inline?: boolean; cacheControl?: string } = {},
  ) {}
}
