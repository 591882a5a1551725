/**
 * Parser-side caps that SCENARIO_LIMITS (src/core/scenario.ts) does not cover.
 * They bound the work done on untrusted input before and around validation.
 */
export const PARSER_LIMITS = {
  /**
   * `parseScenarioText` refuses longer text before calling JSON.parse.
   * 64 MiB, so that a file at the step cap fits: 1,000,000 steps at up to 67
   * characters each (a compact read step is about 35, a write with value and
   * width about 70, a pretty-printed read step about 60).
   */
  maxTextChars: 64 * 1024 * 1024,
  /**
   * Steps in a document. A file may hold 1,000,000 (issue 17); a link stays
   * bounded by its own caps on characters (PERMALINK_LIMITS in permalink.ts).
   * SCENARIO_LIMITS.maxSteps (src/core/scenario.ts, 10,000) is the editor's
   * and the link step index's limit, unchanged.
   */
  maxFileSteps: 1_000_000,
  /** Entries in the friendly `mappings` list. */
  maxMappings: 4096,
  /** A hex string longer than this (with prefix and separators) is rejected. */
  maxHexChars: 64,
  /** Warnings beyond this many are summarized in one last line. */
  maxWarnings: 50,
} as const;
