import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { TrailwatchError } from '../core/errors';

/** STS refused the role (trust policy, missing sts:AssumeRole, a role that does not exist); names the role. */
export class RoleAssumptionError extends TrailwatchError {
  constructor(
    readonly roleArn: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link AssumedRoleCredentials}. */
export interface AssumedRoleCredentialsOptions {
  /** The STS client of the caller (the function's own role, or the operator running the CLI). */
  readonly sts: STSClient;
  /** The read role in the bucket's account. */
  readonly roleArn: string;
  /** Shown in the bucket account's CloudTrail as `assumed-role/<role>/<session>`. */
  readonly sessionName: string;
  /** @default 3600 (STS's default; the role's maximum session is at least that) */
  readonly durationSeconds?: number;
  /** Credentials are renewed this long before they expire. @default 300_000 */
  readonly refreshMarginMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Credentials with the time they expire, as STS returns them. */
export type ExpiringCredentials = AwsCredentialIdentity & { readonly expiration: Date };

/**
 * Credentials of a role in another account, from STS AssumeRole: the log bucket's account lends its
 * read role, so only that role's permissions (not the caller's) apply to the objects read with them.
 */
export class AssumedRoleCredentials {
  private current: ExpiringCredentials | undefined;
  private pending: Promise<ExpiringCredentials> | undefined;

  constructor(private readonly options: AssumedRoleCredentialsOptions) {}

  /** One AssumeRole call: fresh credentials for the role; throws RoleAssumptionError naming it. */
  async assume(): Promise<ExpiringCredentials> {
    const { roleArn } = this.options;
    try {
      const out = await this.options.sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: this.options.sessionName,
          DurationSeconds: this.options.durationSeconds ?? 3600,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new RoleAssumptionError(roleArn, `AssumeRole of ${roleArn} returned no credentials`);
      }
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (err) {
      if (err instanceof TrailwatchError) throw err;
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const hint =
        err instanceof STSServiceException && err.name === 'AccessDenied'
          ? " (the role's trust policy must name the caller's role, and the caller needs sts:AssumeRole on it)"
          : '';
      throw new RoleAssumptionError(roleArn, `cannot assume ${roleArn}: ${reason}${hint}`, { cause: err });
    }
  }

  /**
   * A credential provider for an SDK client: the last credentials until they are close to expiring,
   * so a warm function calls STS about once an hour, and concurrent reads share one AssumeRole call.
   */
  provider(): AwsCredentialIdentityProvider {
    return async () => {
      const now = (this.options.now ?? Date.now)();
      const margin = this.options.refreshMarginMs ?? 300_000;
      if (this.current && this.current.expiration.getTime() - margin > now) return this.current;
      this.pending ??= this.assume().finally(() => {
        this.pending = undefined;
      });
      this.current = await this.pending;
      return this.current;
    };
  }
}
