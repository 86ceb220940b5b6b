/**
 * Deepest nesting of requestParameters / responseElements kept whole. Real payloads of the four
 * services stay within a dozen levels; thousands of levels overflow the stack of every recursive
 * consumer downstream (JSON.stringify while the item or the alert is built), which would fail the
 * whole file on every retry.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/** What replaces each value nested deeper than MAX_PAYLOAD_DEPTH (documented in docs/normalized-event.md). */
export const DEPTH_CUT_MARKER = `[trailwatch: nested deeper than ${MAX_PAYLOAD_DEPTH} levels, cut]`;

/** A payload after clipping: the value, and whether anything was cut. */
export interface ClippedPayload {
  readonly value: unknown;
  readonly clipped: boolean;
}

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/**
 * Returns the payload unchanged when it nests at most maxDepth objects/arrays deep, else a copy in
 * which every object or array at a deeper level is replaced by DEPTH_CUT_MARKER. Iterative, so it is
 * safe whatever the depth.
 */
export function clipPayloadDepth(value: unknown, maxDepth: number = MAX_PAYLOAD_DEPTH): ClippedPayload {
  if (!isContainer(value) || depthWithin(value, maxDepth)) return { value, clipped: false };
  return { value: copyClipped(value, maxDepth), clipped: true };
}

// Walks without copying or allocating: nearly every record is shallow. Recursive, but never deeper than
// maxDepth + 1 calls, whatever the payload's depth.
function depthWithin(node: Container, maxDepth: number, depth = 1): boolean {
  if (depth > maxDepth) return false;
  if (Array.isArray(node)) {
    for (let k = 0; k < node.length; k++) {
      const child: unknown = node[k];
      if (isContainer(child) && !depthWithin(child, maxDepth, depth + 1)) return false;
    }
    return true;
  }
  for (const key in node) {
    const child = node[key];
    if (isContainer(child) && !depthWithin(child, maxDepth, depth + 1)) return false;
  }
  return true;
}

function copyClipped(root: Container, maxDepth: number): Container {
  const rootCopy: Container = Array.isArray(root) ? [] : {};
  const stack: Array<[Container, Container, number]> = [[root, rootCopy, 1]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [source, target, depth] = top;
    for (const [key, child] of Object.entries(source)) {
      let copied: unknown = child;
      if (isContainer(child)) {
        if (depth + 1 > maxDepth) {
          copied = DEPTH_CUT_MARKER;
        } else {
          copied = Array.isArray(child) ? [] : {};
          stack.push([child, copied as Container, depth + 1]);
        }
      }
      // defineProperty, not assignment: a logged key named `__proto__` must stay a plain key.
      Object.defineProperty(target, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return rootCopy;
}
