import type { UserIdentity } from './cloudtrail-record';
import type { Principal } from './normalized-event';

// CloudTrail writes "" for fields it withholds (e.g. `arn` and `accessKeyId` of Unknown identities);
// an empty string names nobody, so it counts as absent.
function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Flattens a record's userIdentity into a Principal. Works for every identity type (Root, IAMUser,
 * AssumedRole, Role, FederatedUser, AWSAccount, AWSService, IdentityCenterUser, SAMLUser,
 * WebIdentityUser, Directory, Unknown) and for types CloudTrail may add; a missing identity is `Unknown`.
 */
export function principalFromIdentity(identity: UserIdentity | undefined): Principal {
  if (!identity) return { type: 'Unknown' };
  const issuer = identity.sessionContext?.sessionIssuer;
  const onBehalfOf = identity.onBehalfOf;
  const principal: Principal = { type: present(identity.type) ?? 'Unknown' };
  const arn = present(identity.arn);
  const accountId = present(identity.accountId);
  // IAM Identity Center identities have no principalId of their own: the identity store user id is who acted.
  const principalId = present(identity.principalId) ?? present(onBehalfOf?.userId);
  // userName is the IAM user (or SAML / web identity subject); sessions fall back to the role or user that
  // issued them, which is the name people search for; Identity Center users only have their store user id.
  const userName = present(identity.userName) ?? present(issuer?.userName) ?? present(onBehalfOf?.userId);
  const sessionIssuerArn = present(issuer?.arn);
  const invokedBy = present(identity.invokedBy);
  if (arn !== undefined) principal.arn = arn;
  if (accountId !== undefined) principal.accountId = accountId;
  if (principalId !== undefined) principal.principalId = principalId;
  if (userName !== undefined) principal.userName = userName;
  if (sessionIssuerArn !== undefined) principal.sessionIssuerArn = sessionIssuerArn;
  if (invokedBy !== undefined) principal.invokedBy = invokedBy;
  return principal;
}
