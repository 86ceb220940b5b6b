// Issue 15, case 11: the local S3 server wrote outside its data folder (a `..` key through the SDK,
// an unsigned `%2E%2E` PUT, a cross-origin multipart POST a web page can send without a preflight),
// and the handler then ingested what it wrote. Every such request must be refused, nothing written.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../lambdas/adapters/aws-clients';
import { startS3Server, type S3Server } from '../../local/s3-server';

const BUCKET = 'logs';
let base: string;
let server: S3Server;
let s3: S3Client;
const events: unknown[] = [];

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-s3-guard-'));
  server = await startS3Server({
    directory: path.join(base, 'data'),
    buckets: [BUCKET],
    onEvent: (e) => events.push(e),
  });
  s3 = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}, 30_000);

afterAll(async () => {
  s3?.destroy();
  await server?.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

beforeEach(() => {
  events.length = 0;
});

/** Everything under the test's base folder except the data folder: must stay empty. */
function outside(): string[] {
  return fs.readdirSync(base).filter((name) => name !== 'data');
}

/** Every file path below the data folder. */
function filesInData(): string[] {
  return (fs.readdirSync(path.join(base, 'data'), { recursive: true }) as string[]).map(String);
}

function raw(
  method: string,
  target: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path: target,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const FAKE_SIGV4 =
  'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00';

describe('the local S3 server refuses what would escape its folder or come from a browser', () => {
  it('still stores and serves an ordinary SDK upload (and notifies)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'AWSLogs/ok.json', Body: '{"Records":[]}' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'AWSLogs/ok.json' }));
    expect(await got.Body?.transformToString()).toBe('{"Records":[]}');
    expect(events).toHaveLength(1);
  });

  it.each(['../../escaped-sdk.txt', 'AWSLogs/../../../escaped-sdk.txt', './x/../../../escaped-sdk.txt'])(
    'refuses the SDK key %s',
    async (key) => {
      const put = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
      await expect(put).rejects.toMatchObject({ name: 'InvalidArgument' });
      expect(outside()).toEqual([]);
      expect(events).toEqual([]);
    },
  );

  it('refuses an unsigned PUT, with or without %2E%2E in it', async () => {
    const escaping = await raw('PUT', `/${BUCKET}/%2E%2E/%2E%2E/escaped-raw.txt`, {}, 'x');
    const plain = await raw('PUT', `/${BUCKET}/AWSLogs/unsigned.json`, {}, 'x');
    expect([escaping.status, plain.status]).toEqual([403, 403]);
    expect(escaping.body).toMatch(/<Code>AccessDenied<\/Code><Message>unsigned request/);
    expect(filesInData().some((f) => f.includes('unsigned'))).toBe(false);
    expect(outside()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('refuses a signed-looking PUT whose encoded key climbs out (%2E%2E, %2F)', async () => {
    const dots = await raw(
      'PUT',
      `/${BUCKET}/%2E%2E/%2e%2e/escaped-raw.txt`,
      { authorization: FAKE_SIGV4 },
      'x',
    );
    const slash = await raw(
      'PUT',
      `/${BUCKET}/a%2F..%2F..%2F..%2Fescaped-raw.txt`,
      { authorization: FAKE_SIGV4 },
      'x',
    );
    expect([dots.status, slash.status]).toEqual([400, 400]);
    expect(outside()).toEqual([]);
  });

  it('refuses a cross-origin multipart POST (no preflight needed), and a form POST without Origin', async () => {
    const boundary = 'xyz';
    const form = [
      `--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n../../escaped-form.txt\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n--${boundary}--\r\n`,
    ].join('');
    const type = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    const fromPage = await raw('POST', `/${BUCKET}`, { ...type, origin: 'https://evil.example' }, form);
    const fromCurl = await raw('POST', `/${BUCKET}`, { ...type, authorization: FAKE_SIGV4 }, form);
    expect([fromPage.status, fromCurl.status]).toEqual([403, 403]);
    expect(outside()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('refuses a CORS preflight and a request under a rebound host name', async () => {
    const preflight = await raw('OPTIONS', `/${BUCKET}/k`, {
      origin: 'https://evil.example',
      'access-control-request-method': 'PUT',
    });
    const rebound = await raw('GET', `/${BUCKET}/AWSLogs/ok.json`, {
      host: 'evil.example',
      authorization: FAKE_SIGV4,
    });
    expect(preflight.status).toBe(403);
    expect(preflight.body).not.toMatch(/Access-Control/i);
    expect(rebound.status).toBe(403);
  });

  it('refuses a copy whose source climbs out of the data folder', async () => {
    fs.writeFileSync(path.join(base, 'secret.txt'), 'secret');
    try {
      const copy = await raw('PUT', `/${BUCKET}/AWSLogs/copied.json`, {
        authorization: FAKE_SIGV4,
        'x-amz-copy-source': `/${BUCKET}/%2E%2E/%2E%2E/secret.txt`,
      });
      expect(copy.status).toBe(400);
      expect(filesInData().some((f) => f.includes('copied'))).toBe(false);
    } finally {
      fs.rmSync(path.join(base, 'secret.txt'));
    }
  });
});
