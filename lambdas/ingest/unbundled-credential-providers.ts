// What the functions' bundle has in place of the SDK's profile, SSO, credential-process and web-identity
// credential providers (INGEST_BUNDLING in lib/trailwatch-function.ts aliases their packages to this
// file). The SDK's default chain tries the environment first, and Lambda always puts the role's
// credentials there, so a function never reaches these links; bundled, they and the SSO, STS and sign-in
// clients they load were 112 KB of every function bundle. Each link here passes to the next, as the
// SDK's own links do when they find nothing, so the chain's order and its container and instance
// metadata links stay as they are.
import { TrailwatchError } from '../core/errors';

/** A credential source the functions' bundle leaves out was asked for; the chain goes on to its next link. */
export class CredentialSourceNotBundledError extends TrailwatchError {
  /** Read by the SDK's credential chain: try the next provider. */
  readonly tryNextLink = true;
}

const notBundled = (source: string) => () => async (): Promise<never> => {
  throw new CredentialSourceNotBundledError(
    `${source} credentials are not in trailwatch's function bundle: a function takes its credentials ` +
      'from its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), as Lambda sets it',
  );
};

/** Stands in for @aws-sdk/credential-provider-ini (shared config and credentials files). */
export const fromIni = notBundled('profile (shared config file)');
/** Stands in for @aws-sdk/credential-provider-sso. */
export const fromSSO = notBundled('IAM Identity Center (SSO)');
/** Stands in for @aws-sdk/credential-provider-process. */
export const fromProcess = notBundled('credential process');
/** Stands in for @aws-sdk/credential-provider-web-identity. */
export const fromTokenFile = notBundled('web identity token file');
