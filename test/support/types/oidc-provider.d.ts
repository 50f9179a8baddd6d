/**
 * The part of oidc-provider (panva's certified OpenID provider, which ships no types) that
 * test/support/openid-provider.ts uses. Its configuration is passed as a plain object.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderContext {
    oidc: { params?: Record<string, unknown> };
  }

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (ctx: ProviderContext, ...args: unknown[]) => void): this;
  }
}
