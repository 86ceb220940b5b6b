// Every CloudTrail userIdentity type maps to a Principal (fields as the CloudTrail userIdentity
// reference describes them for each type; values invented).
import { normalizeRecord } from '../../lambdas/core/normalize';
import type { Principal } from '../../lambdas/core/normalized-event';
import { principalFromIdentity } from '../../lambdas/core/principal';

const ACCOUNT = '111122223333';

const CASES: ReadonlyArray<{
  name: string;
  identity: Record<string, unknown> | undefined;
  principal: Principal;
}> = [
  {
    name: 'Root',
    identity: {
      type: 'Root',
      principalId: ACCOUNT,
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLE',
    },
    principal: {
      type: 'Root',
      arn: `arn:aws:iam::${ACCOUNT}:root`,
      accountId: ACCOUNT,
      principalId: ACCOUNT,
    },
  },
  {
    name: 'IAMUser',
    identity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE1',
      arn: `arn:aws:iam::${ACCOUNT}:user/ana`,
      accountId: ACCOUNT,
      accessKeyId: '',
      userName: 'ana',
    },
    principal: {
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/ana`,
      accountId: ACCOUNT,
      principalId: 'AIDAEXAMPLE1',
      userName: 'ana',
    },
  },
  {
    name: 'AssumedRole (name from the session issuer)',
    identity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE2:etl-session',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/EtlRole/etl-session`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE2',
          arn: `arn:aws:iam::${ACCOUNT}:role/EtlRole`,
          accountId: ACCOUNT,
          userName: 'EtlRole',
        },
        webIdFederationData: {},
        attributes: { creationDate: '2024-03-01T10:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    principal: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/EtlRole/etl-session`,
      accountId: ACCOUNT,
      principalId: 'AROAEXAMPLE2:etl-session',
      userName: 'EtlRole',
      sessionIssuerArn: `arn:aws:iam::${ACCOUNT}:role/EtlRole`,
    },
  },
  {
    name: 'AssumedRole used by a service on the caller’s behalf (invokedBy)',
    identity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE3:session',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/GlueJobRole/session`,
      accountId: ACCOUNT,
      invokedBy: 'glue.amazonaws.com',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: `arn:aws:iam::${ACCOUNT}:role/GlueJobRole`,
          userName: 'GlueJobRole',
        },
      },
    },
    principal: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/GlueJobRole/session`,
      accountId: ACCOUNT,
      principalId: 'AROAEXAMPLE3:session',
      userName: 'GlueJobRole',
      sessionIssuerArn: `arn:aws:iam::${ACCOUNT}:role/GlueJobRole`,
      invokedBy: 'glue.amazonaws.com',
    },
  },
  {
    name: 'Role',
    identity: {
      type: 'Role',
      principalId: 'AROAEXAMPLE4',
      arn: `arn:aws:iam::${ACCOUNT}:role/Deployer`,
      accountId: ACCOUNT,
      userName: 'Deployer',
    },
    principal: {
      type: 'Role',
      arn: `arn:aws:iam::${ACCOUNT}:role/Deployer`,
      accountId: ACCOUNT,
      principalId: 'AROAEXAMPLE4',
      userName: 'Deployer',
    },
  },
  {
    name: 'FederatedUser (name of the IAM user that issued the session)',
    identity: {
      type: 'FederatedUser',
      principalId: `${ACCOUNT}:bob`,
      arn: `arn:aws:sts::${ACCOUNT}:federated-user/bob`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE5',
          arn: `arn:aws:iam::${ACCOUNT}:user/broker`,
          accountId: ACCOUNT,
          userName: 'broker',
        },
        attributes: { creationDate: '2024-03-01T10:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    principal: {
      type: 'FederatedUser',
      arn: `arn:aws:sts::${ACCOUNT}:federated-user/bob`,
      accountId: ACCOUNT,
      principalId: `${ACCOUNT}:bob`,
      userName: 'broker',
      sessionIssuerArn: `arn:aws:iam::${ACCOUNT}:user/broker`,
    },
  },
  {
    name: 'AWSAccount (another account)',
    identity: { type: 'AWSAccount', principalId: 'AIDAEXAMPLE6', accountId: '444455556666' },
    principal: { type: 'AWSAccount', accountId: '444455556666', principalId: 'AIDAEXAMPLE6' },
  },
  {
    name: 'AWSService',
    identity: { type: 'AWSService', invokedBy: 'batch.amazonaws.com' },
    principal: { type: 'AWSService', invokedBy: 'batch.amazonaws.com' },
  },
  {
    name: 'IdentityCenterUser (the identity store user id stands for principalId and userName)',
    identity: {
      type: 'IdentityCenterUser',
      accountId: ACCOUNT,
      onBehalfOf: {
        userId: '94482488-3041-7026-18f3-be45837cd0e4',
        identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-9067230000',
      },
      credentialId: 'EXAMPLEcredential',
    },
    principal: {
      type: 'IdentityCenterUser',
      accountId: ACCOUNT,
      principalId: '94482488-3041-7026-18f3-be45837cd0e4',
      userName: '94482488-3041-7026-18f3-be45837cd0e4',
    },
  },
  {
    name: 'SAMLUser',
    identity: {
      type: 'SAMLUser',
      principalId: 'Qm9ndXNJc3N1ZXI=:ana@example.com',
      userName: 'ana@example.com',
      identityProvider: 'Qm9ndXNJc3N1ZXI=',
    },
    principal: {
      type: 'SAMLUser',
      principalId: 'Qm9ndXNJc3N1ZXI=:ana@example.com',
      userName: 'ana@example.com',
    },
  },
  {
    name: 'WebIdentityUser',
    identity: {
      type: 'WebIdentityUser',
      principalId: 'accounts.google.com:app-1.apps.googleusercontent.com:10987654321',
      userName: '10987654321',
      identityProvider: 'accounts.google.com',
    },
    principal: {
      type: 'WebIdentityUser',
      principalId: 'accounts.google.com:app-1.apps.googleusercontent.com:10987654321',
      userName: '10987654321',
    },
  },
  {
    name: 'Directory',
    identity: { type: 'Directory', principalId: 'S-1-5-21-EXAMPLE', accountId: ACCOUNT, userName: 'jdoe' },
    principal: { type: 'Directory', accountId: ACCOUNT, principalId: 'S-1-5-21-EXAMPLE', userName: 'jdoe' },
  },
  {
    name: 'Unknown (empty strings count as absent)',
    identity: {
      type: 'Unknown',
      principalId: 'AIDAEXAMPLE7',
      arn: '',
      accountId: ACCOUNT,
      accessKeyId: '',
      userName: 'carol',
    },
    principal: { type: 'Unknown', accountId: ACCOUNT, principalId: 'AIDAEXAMPLE7', userName: 'carol' },
  },
  {
    name: 'no userIdentity at all',
    identity: undefined,
    principal: { type: 'Unknown' },
  },
  {
    name: 'userIdentity without a type',
    identity: { principalId: 'AIDAEXAMPLE8', accountId: ACCOUNT },
    principal: { type: 'Unknown', accountId: ACCOUNT, principalId: 'AIDAEXAMPLE8' },
  },
  {
    name: 'a type CloudTrail adds later is kept as written',
    identity: { type: 'QuantumUser', principalId: 'QEXAMPLE', accountId: ACCOUNT },
    principal: { type: 'QuantumUser', accountId: ACCOUNT, principalId: 'QEXAMPLE' },
  },
];

function record(identity: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    ...(identity === undefined ? {} : { userIdentity: identity }),
    eventTime: '2024-03-01T10:00:00Z',
    eventSource: 'glue.amazonaws.com',
    eventName: 'GetJobs',
    eventID: 'evt-1',
  };
}

describe('principal of every userIdentity type', () => {
  it.each(CASES)('$name', ({ identity, principal }) => {
    // Prepare
    const raw = record(identity);
    // Act
    const result = normalizeRecord(raw);
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.principal).toStrictEqual(principal);
  });

  it('the event account is the identity’s when the record has no recipientAccountId, else the recipient', () => {
    // Prepare
    const withoutRecipient = record({ type: 'IAMUser', accountId: '444455556666', userName: 'ana' });
    const withRecipient = { ...withoutRecipient, recipientAccountId: ACCOUNT };
    // Act
    const a = normalizeRecord(withoutRecipient);
    const b = normalizeRecord(withRecipient);
    // Assess
    expect(a.ok && a.event.accountId).toBe('444455556666');
    expect(b.ok && b.event.accountId).toBe(ACCOUNT);
    expect(b.ok && b.event.principal.accountId).toBe('444455556666');
  });

  it('principalFromIdentity on its own gives Unknown for a missing identity', () => {
    // Act
    const principal = principalFromIdentity(undefined);
    // Assess
    expect(principal).toStrictEqual({ type: 'Unknown' });
  });
});
