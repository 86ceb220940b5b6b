import * as path from 'node:path';

/** The parts of an HTTP request the guard looks at. */
export interface GuardedRequest {
  readonly method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  readonly url: string;
  /** Header names in lower case (Node's IncomingMessage.headers). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Why a request is refused: the HTTP status, S3's error code and a one-line reason. */
export interface GuardRefusal {
  readonly status: 400 | 403;
  readonly code: 'AccessDenied' | 'InvalidArgument' | 'InvalidURI';
  readonly message: string;
}

// Loopback names the local endpoint is reached by; any other Host is a browser being rebound to us.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// SigV4 or SigV2 in a header, or a presigned URL: what every AWS SDK and CLI sends. Signatures are
// not verified (any credentials are accepted locally); this only keeps out requests without one.
const SIGNED_HEADER = /^(AWS4-HMAC-SHA256 |AWS [^:\s]+:)/;
const SIGNED_QUERY = ['X-Amz-Signature', 'Signature'];
// s3rver's own upload ids: 16 random bytes in hex. Anything else would be joined into a path.
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * Decides whether the local S3 server may serve a request (undefined: yes). Refused: requests a
 * browser sends (an Origin or Sec-Fetch-* header, a Host that is not loopback, a form POST), requests
 * without a signature, and names that would leave the data folder once s3rver joins them into a
 * path (`..` or `.` segments, also percent-encoded, in the key, the copy source or the upload id).
 */
export function refuseS3Request(request: GuardedRequest): GuardRefusal | undefined {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  if (
    header('origin') !== undefined ||
    Object.keys(request.headers).some((h) => h.startsWith('sec-fetch-'))
  ) {
    return denied(
      'browser requests are refused (Origin or Sec-Fetch header): the local S3 endpoint is for the SDK and CLI',
    );
  }
  const host = (header('host') ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!LOOPBACK_HOSTS.has(host)) {
    return denied(`Host '${clip(host)}' is not a loopback address: use http://127.0.0.1:<port>`);
  }
  if ((header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    return denied('form (POST policy) uploads are refused by the local S3 endpoint');
  }

  const [rawPath = '', rawQuery = ''] = request.url.split('?', 2);
  const query = new URLSearchParams(rawQuery);
  const signed = SIGNED_HEADER.test(header('authorization') ?? '') || SIGNED_QUERY.some((q) => query.has(q));
  if (!signed) return denied('unsigned request: sign it (any access key works locally)');

  const names = segmentsOf(rawPath);
  if (names === undefined) return invalid('InvalidURI', 'the path is not valid percent-encoding');
  const badPath = escapeIn(names);
  if (badPath) return invalid('InvalidArgument', `the path ${badPath}`);

  const copySource = header('x-amz-copy-source');
  if (copySource !== undefined) {
    const source = segmentsOf(copySource.split('?', 1)[0] ?? '');
    if (source === undefined)
      return invalid('InvalidArgument', 'x-amz-copy-source is not valid percent-encoding');
    const badSource = escapeIn(source);
    if (badSource) return invalid('InvalidArgument', `x-amz-copy-source ${badSource}`);
  }
  const uploadId = query.get('uploadId');
  if (uploadId !== null && !UPLOAD_ID.test(uploadId)) {
    return invalid('InvalidArgument', 'uploadId is not one this server issued');
  }
  return undefined;
}

// The decoded name segments of a path (`%2F` splits too, as it does once s3rver decodes the key),
// or undefined for a malformed escape.
function segmentsOf(rawPath: string): string[] | undefined {
  try {
    return rawPath
      .split('/')
      .map((piece) => decodeURIComponent(piece))
      .flatMap((piece) => piece.split(/[/\\]/));
  } catch {
    return undefined;
  }
}

// Why the segments would resolve outside the folder they name, or undefined when they stay in it.
function escapeIn(segments: readonly string[]): string | undefined {
  if (segments.some((s) => s === '.' || s === '..')) return "has a '.' or '..' segment";
  if (segments.some((s) => s.includes('\0'))) return 'has a NUL character';
  // Belt and braces: resolved the way the store joins them, the path must stay below the root.
  const root = path.resolve('/root');
  const resolved = path.resolve(root, ...segments.filter((s) => s !== ''));
  if (resolved !== root && !resolved.startsWith(`${root}${path.sep}`)) return 'leaves the data folder';
  return undefined;
}

function denied(message: string): GuardRefusal {
  return { status: 403, code: 'AccessDenied', message };
}

function invalid(code: 'InvalidArgument' | 'InvalidURI', message: string): GuardRefusal {
  return { status: 400, code, message };
}

function clip(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 100)}…`;
}
