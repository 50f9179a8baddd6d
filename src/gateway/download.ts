/** A route's answer that is a file to save (a CSV export, an e-mail attachment), not a JSON document. */
export class FileDownload {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    readonly body: string | Buffer,
  ) {}
}
