/** Moved to test/support/raw-radius.ts (kept for tests written against the old path). */
export * from '../support/raw-radius.js';
