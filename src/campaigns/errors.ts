/** Bad input: a template that does not parse, or names a variable the list does not have. */
export class InvalidTemplateError extends Error {
  override readonly name = 'InvalidTemplateError';
}

/** No Campaign resource of this name in the tenant. */
export class CampaignNotFoundError extends Error {
  override readonly name = 'CampaignNotFoundError';
  constructor(
    readonly tenant: string,
    readonly campaign: string,
  ) {
    super(`no campaign ${JSON.stringify(campaign)} in tenant ${JSON.stringify(tenant)}`);
  }
}

/** A state change the campaign's current state does not allow (resume a stopped campaign, …). */
export class CampaignStateError extends Error {
  override readonly name = 'CampaignStateError';
}
