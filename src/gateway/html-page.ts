/**
 * A route's answer that is a small HTML page for a person (the unsubscribe confirmation),
 * not a JSON document. Served with a policy that allows no script and forms only to itself.
 */
export class HtmlPage {
  static readonly policy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
  constructor(readonly html: string) {}
}
