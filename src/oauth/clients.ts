import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, OAuthClientRow } from '../store/index.ts';
import { generateClientSecret, hashClientSecret, verifyClientSecret } from './client-secrets.ts';
import { OAuthClientInputError, OAuthError } from './errors.ts';
import { isOAuthScope, type OAuthScope } from './scopes.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A client as the admin API shows it: never its secret. */
export interface OAuthClientView {
  clientId: string;
  name: string;
  scopes: OAuthScope[];
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

export interface NewOAuthClient {
  tenant: string;
  name: string;
  scopes: readonly string[];
  /** The admin who created it (the token's `sub`), for audits. */
  createdBy: string;
}

/**
 * Creates a client of the tenant. The secret is returned here only (the table keeps its
 * scrypt hash), with the key that signs the status callbacks of its notifications.
 * @throws OAuthClientInputError for an unknown scope, no scope or an empty name.
 */
export async function createOAuthClient(db: Db, input: NewOAuthClient): Promise<{ client: OAuthClientView; clientSecret: string; callbackSigningSecret: string }> {
  const name = input.name.trim();
  if (name === '' || name.length > 128) throw new OAuthClientInputError('name: 1 to 128 characters');
  const unknown = input.scopes.filter((s) => !isOAuthScope(s));
  if (unknown.length > 0) throw new OAuthClientInputError(`scopes: unknown ${unknown.join(', ')}`);
  if (input.scopes.length === 0) throw new OAuthClientInputError('scopes: at least one');
  const clientSecret = generateClientSecret();
  const callbackSigningSecret = `whsec_${generateClientSecret()}`;
  const row = await db
    .insertInto('oauth_clients')
    .values({
      id: `pc_${randomBytes(12).toString('hex')}`,
      tenant: input.tenant,
      name,
      secret_hash: await hashClientSecret(clientSecret),
      callback_secret: callbackSigningSecret,
      scopes: [...new Set(input.scopes)],
      created_by: input.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { client: viewOf(row), clientSecret, callbackSigningSecret };
}

export async function listOAuthClients(db: Db, tenant: string): Promise<OAuthClientView[]> {
  const rows = await db.selectFrom('oauth_clients').selectAll().where('tenant', '=', tenant).orderBy('created_at').orderBy('id').execute();
  return rows.map(viewOf);
}

/**
 * Revokes a client: its secret stops working and the tokens it was issued are refused
 * from the next request on. Revoking twice keeps the first revocation.
 * @returns undefined when the tenant has no such client.
 */
export async function revokeOAuthClient(db: Db, tenant: string, clientId: string, revokedBy: string): Promise<OAuthClientView | undefined> {
  await db
    .updateTable('oauth_clients')
    .set({ revoked_at: new Date(), revoked_by: revokedBy })
    .where('tenant', '=', tenant)
    .where('id', '=', clientId)
    .where('revoked_at', 'is', null)
    .execute();
  const row = await db.selectFrom('oauth_clients').selectAll().where('tenant', '=', tenant).where('id', '=', clientId).executeTakeFirst();
  return row && viewOf(row);
}

// Compared against when the client id is unknown, so that an unknown id and a wrong
// secret take the same time (no client-id probing by timing).
let decoy: Promise<string> | undefined;

/**
 * The client whose credentials these are, if it exists and is not revoked.
 * @throws OAuthError `invalid_client` otherwise (the same answer for each case).
 */
export async function authenticateOAuthClient(db: Db, clientId: string, clientSecret: string): Promise<OAuthClientRow> {
  const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', clientId).executeTakeFirst();
  decoy ??= hashClientSecret(generateClientSecret());
  const matches = await verifyClientSecret(clientSecret, row?.secret_hash ?? (await decoy));
  if (!row || !matches || row.revoked_at !== null) throw new OAuthError('invalid_client', 'unknown client, wrong secret or revoked client');
  return row;
}

/** A client still allowed to act (not revoked), read on every request its tokens make. */
export async function activeOAuthClient(db: Db, clientId: string): Promise<Pick<OAuthClientRow, 'id' | 'tenant' | 'scopes'> | undefined> {
  return db.selectFrom('oauth_clients').select(['id', 'tenant', 'scopes']).where('id', '=', clientId).where('revoked_at', 'is', null).executeTakeFirst();
}

function viewOf(row: OAuthClientRow): OAuthClientView {
  return {
    clientId: row.id,
    name: row.name,
    scopes: row.scopes.filter(isOAuthScope),
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
    revokedBy: row.revoked_by,
  };
}
