import type { FastifyInstance } from 'fastify';
import { ResourceName, TenantName } from '../contract/index.ts';

/** Where `parley up` shows a page with the widget of a Channel, to try it without a site. */
export const TRY_PAGE_PREFIX = '/web/try';

/**
 * `GET /web/try/<tenant>/<channel>`: a blank page that embeds the widget of that Channel
 * with the one `<script>` tag a company's site would use. For trying Parley locally only:
 * the page's origin (the channels role's own URL) must be in the Channel's `allowedOrigins`.
 */
export function tryPageRoute(app: FastifyInstance): void {
  app.get(`${TRY_PAGE_PREFIX}/:tenant/:channel`, async (request, reply) => {
    const { tenant, channel } = request.params as { tenant: string; channel: string };
    // Both are DNS labels: safe in HTML and in an attribute without escaping.
    if (!TenantName.safeParse(tenant).success || !ResourceName.safeParse(channel).success) return reply.code(404).type('text/plain').send('no such channel');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley web messaging: ${tenant}/${channel}</title></head>
<body><main><h1>Web messaging test page</h1><p>The widget of the Channel <code>${tenant}/${channel}</code> is in the corner.</p></main>
<script src="/web/v1/widget.js" data-channel-key="${tenant}/${channel}" async></script></body></html>
`);
  });
}
