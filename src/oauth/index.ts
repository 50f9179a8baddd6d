/** OAuth 2.0 client credentials for integrations: clients per tenant, hashed secrets, short-lived access tokens. */
export * from './scopes.ts';
export * from './errors.ts';
export * from './client-secrets.ts';
export * from './clients.ts';
export * from './access-tokens.ts';
export * from './token-request.ts';
