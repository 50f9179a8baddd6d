import { Liquid } from 'liquidjs';

/** Fills a canned response's variables (`{{ customer.name }}`…) with liquidjs, as the server validated it. */
const liquid = new Liquid({ strictFilters: true });

export interface TemplateScope {
  customer: { name: string };
  agent: { name: string; id: string };
  conversation: { queue: string; channel: string };
}

export function renderTemplate(body: string, scope: TemplateScope): Promise<string> {
  return liquid.parseAndRender(body, scope) as Promise<string>;
}
