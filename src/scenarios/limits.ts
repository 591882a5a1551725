/**
 * Parser-side caps that SCENARIO_LIMITS (src/core/scenario.ts) does not cover.
 * They bound the work done on untrusted input before and around validation.
 */
export const PARSER_LIMITS = {
  /** `parseScenarioText` refuses longer text before calling JSON.parse. */
  maxTextChars: 16 * 1024 * 1024,
  /** Entries in the friendly `mappings` list. */
  maxMappings: 4096,
  /** A hex string longer than this (with prefix and separators) is rejected. */
  maxHexChars: 64,
  /** Warnings beyond this many are summarized in one last line. */
  maxWarnings: 50,
} as const;
