import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { AssumedRoleCredentials, RoleAssumptionError } from '../../lambdas/adapters/assumed-role-credentials';

const ROLE = 'arn:aws:iam::444455556666:role/trailwatch-log-reader';

// A stand-in for STS that counts AssumeRole calls: the caching cannot be observed on a real server.
function fakeSts(answer: (call: number) => unknown): { sts: STSClient; calls: AssumeRoleCommand[] } {
  const calls: AssumeRoleCommand[] = [];
  const sts = {
    send: (command: AssumeRoleCommand) => {
      calls.push(command);
      const out = answer(calls.length);
      return out instanceof Error ? Promise.reject(out) : Promise.resolve(out);
    },
  } as unknown as STSClient;
  return { sts, calls };
}

const credentialsExpiringAt = (ms: number, n: number) => ({
  Credentials: { AccessKeyId: `ASIA${n}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(ms) },
});

describe('AssumedRoleCredentials', () => {
  it('shares one AssumeRole among concurrent reads and renews before expiry', async () => {
    // Prepare
    let now = 1_000_000;
    const { sts, calls } = fakeSts((n) => credentialsExpiringAt(now + 3_600_000, n));
    const provider = new AssumedRoleCredentials({
      sts,
      roleArn: ROLE,
      sessionName: 'trailwatch',
      now: () => now,
    }).provider();
    // Act
    const [a, b] = await Promise.all([provider(), provider()]);
    now += 3_600_000 - 400_000; // 6 min 40 s before expiry: still outside the 5-minute margin
    const c = await provider();
    now += 200_000; // inside the margin
    const d = await provider();
    // Assess: protects "about one STS call an hour" and that expiring credentials are never handed out.
    expect([a.accessKeyId, b.accessKeyId, c.accessKeyId, d.accessKeyId]).toEqual([
      'ASIA1',
      'ASIA1',
      'ASIA1',
      'ASIA2',
    ]);
    expect(calls.map((c) => c.input)).toEqual([
      { RoleArn: ROLE, RoleSessionName: 'trailwatch', DurationSeconds: 3600 },
      { RoleArn: ROLE, RoleSessionName: 'trailwatch', DurationSeconds: 3600 },
    ]);
  });

  it('names the role and what to check when STS refuses, and tries again on the next read', async () => {
    // Prepare
    const denied = new STSServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: {},
      message: 'User is not authorized to perform: sts:AssumeRole',
    });
    const { sts, calls } = fakeSts((n) =>
      n === 1 ? denied : credentialsExpiringAt(Date.now() + 3_600_000, n),
    );
    const provider = new AssumedRoleCredentials({ sts, roleArn: ROLE, sessionName: 'trailwatch' }).provider();
    // Act
    const first = provider();
    // Assess: protects the one-line error and that a refusal is not cached.
    await expect(first).rejects.toThrow(RoleAssumptionError);
    await expect(first).rejects.toThrow(
      `cannot assume ${ROLE}: AccessDenied: User is not authorized to perform: sts:AssumeRole (the role's trust policy`,
    );
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIA2' });
    expect(calls).toHaveLength(2);
  });
});
