import * as fs from 'node:fs';
import * as path from 'node:path';
import { RESOURCE_TYPES } from '../../lambdas/core/resource-types';
import { ResourceQuerySchema, validate } from '../../packages/client/src/query-input';
import { ValidationError } from '../../packages/client/src/validation-error';

describe('resource types', () => {
  it('are the kinds docs/normalized-event.md lists', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'normalized-event.md'), 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-z-]+:[a-z-]+)` +\|/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...RESOURCE_TYPES].sort());
  });

  it('an unknown kind in a resource query is refused, naming the kinds there are', () => {
    let error: unknown;
    try {
      validate(ResourceQuerySchema, { resource: '123456789012#us-east-1#glue:jobs#nightly' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('resource');
    expect((error as ValidationError).reason).toMatch(
      /^'glue:jobs' is not a resource type; one of glue:job, /,
    );
    expect(
      validate(ResourceQuerySchema, { resource: '123456789012#us-east-1#glue:job#nightly' }).resource,
    ).toBe('123456789012#us-east-1#glue:job#nightly');
  });
});
