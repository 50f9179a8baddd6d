/** Bad input: no contact list of this id in the tenant. */
export class ContactListNotFoundError extends Error {
  override readonly name = 'ContactListNotFoundError';
  constructor(
    readonly tenant: string,
    readonly listId: string,
  ) {
    super(`no contact list ${JSON.stringify(listId)} in tenant ${JSON.stringify(tenant)}`);
  }
}

/** Bad input: a contact that cannot be stored (no valid phone or e-mail, unknown time zone…). */
export class InvalidContactError extends Error {
  override readonly name = 'InvalidContactError';
}

/** The list already has a contact with this id, phone or e-mail. */
export class DuplicateContactError extends Error {
  override readonly name = 'DuplicateContactError';
}

/** Bad input: the file's header lacks a column the mapping names, or has no phone or e-mail column. */
export class ColumnMappingError extends Error {
  override readonly name = 'ColumnMappingError';
}
