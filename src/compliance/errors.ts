/** Bad input: no do-not-contact list of this id in the tenant. */
export class DncListNotFoundError extends Error {
  override readonly name = 'DncListNotFoundError';
  constructor(
    readonly tenant: string,
    readonly listId: string,
  ) {
    super(`no do-not-contact list ${JSON.stringify(listId)} in tenant ${JSON.stringify(tenant)}`);
  }
}
