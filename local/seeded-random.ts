/**
 * A small deterministic random source (mulberry32) in [0, 1): the same seed gives the same sequence on
 * every machine, so the sample logs, the benchmarks' traffic and the property tests can be generated
 * again exactly.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed named by text (the sample day), for {@link seededRandom}. */
export function seedOfText(text: string): number {
  let seed = 0;
  for (const ch of text) seed = (Math.imul(seed ^ ch.charCodeAt(0), 2654435761) + 0x9e3779b9) >>> 0;
  return seed;
}
