/*
 * Seeded randomness for the reliability harnesses: every random choice (which worker dies,
 * when, which send fails and how) derives from one printed seed, so a failure can be
 * replayed with TICKWORK_RELIABILITY_SEED=<seed>.
 */

/** A small, fast PRNG (mulberry32): the same seed gives the same sequence in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A number in [0, 1) that depends only on the seed and the parts. Used where a decision must
 * not depend on which process happens to make it (the fate of a send is a function of its
 * key and attempt, so it is the same whichever worker claims the row).
 */
export function unitFor(seed: number, ...parts: ReadonlyArray<string | number>): number {
  return mulberry32(hashString(`${seed}|${parts.join('|')}`))();
}

/** The run's seed: TICKWORK_RELIABILITY_SEED if set, else a fresh one (printed by each harness). */
export function harnessSeed(): number {
  const fromEnv = process.env.TICKWORK_RELIABILITY_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv);
    if (!Number.isInteger(seed) || seed < 0)
      throw new Error(`TICKWORK_RELIABILITY_SEED must be an integer, got ${fromEnv}`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}
