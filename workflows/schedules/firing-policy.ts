/** Attempts of a firing's local activity; the last one records the firing as FAILED before giving up. */
export const FIRING_ATTEMPTS = 6;
