// The stand-ins of the credential sources the functions' bundle leaves out: each link passes to the
// next one of the SDK's chain (as the SDK's own links do when they find nothing) and says why.
import {
  CredentialSourceNotBundledError,
  fromIni,
  fromProcess,
  fromSSO,
  fromTokenFile,
} from '../../lambdas/ingest/unbundled-credential-providers';

describe('the credential sources left out of the function bundle', () => {
  it.each([
    ['fromIni', fromIni, /profile/],
    ['fromSSO', fromSSO, /SSO/],
    ['fromProcess', fromProcess, /credential process/],
    ['fromTokenFile', fromTokenFile, /web identity/],
  ])('%s: a link that hands over to the next one, naming the environment', async (_name, source, what) => {
    // Act
    const error = await source()().then(
      () => undefined,
      (err: unknown) => err,
    );
    // Assess: the SDK's chain reads tryNextLink; the message says where a function's credentials come from.
    expect(error).toBeInstanceOf(CredentialSourceNotBundledError);
    expect((error as CredentialSourceNotBundledError).tryNextLink).toBe(true);
    expect((error as Error).message).toMatch(what);
    expect((error as Error).message).toMatch(/AWS_ACCESS_KEY_ID/);
    expect((error as Error).name).toBe('CredentialSourceNotBundledError');
  });
});
