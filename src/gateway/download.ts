/** A route's answer that is a file to save (a CSV export), not a JSON document. */
export class FileDownload {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    readonly body: string,
  ) {}
}
