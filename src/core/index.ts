/** The MMU core's one public entry. Pure TypeScript: no DOM, no Node, no UI libraries. */
export * from './scenario.ts';
export * from './bits.ts';
export type { TraceEvent, TraceEventKind, SpteRefJson, RootSlot } from './trace.ts';
export type { KernelBug, Machine, ShadowPage, KvmStats, VcpuStats } from './machine.ts';
export { Host } from './host.ts';
export { cloneMachine } from './machine.ts';
export { Timeline, TimelineBuilder, SnapshotChain, createMachine, machineData, machineFromData, SNAPSHOT_EVERY, snapshotIntervalFor, concatSummaries, sim_OUTCOMES, sim_PROGRESS_STEPS, type sim_PackedSummaries, type MachineData, type StepSummary, type TimelineParts } from './timeline.ts';
export { applyStep, sim_advance, sim_rawResult, sim_runStep, type sim_StepOutcome, type RawStepResult, type StepResult, type Outcome } from './step.ts';
export { machineJson, rmapJson, shadowPageJson, sim_JsonMemo, sim_sptesMade, sim_sptesShape, type sim_SptesShape, type MachineJson, type ShadowPageJson, type SpteJson } from './serialize.ts';
export { auditMachine, type AuditIssue } from './audit.ts';
export { type PageRole, type RoleJson, roleWord, unpackRole, roleNotation, roleJson, kernelRoleFields, kernelRoleWord, roleFieldName, type KernelRoleField } from './mmu/role.ts';
export { RULE_SETS, COMPARED_RULE_SETS, RULE_SET_LABEL, RULE_SET_SHORT, baseRole, childCheck, computeChildRole, computeRootRole, isMergedSeries } from './mmu/rules.ts';
export { LINUX_61_CHANGES, linux61Bit, linux61Changes, type Linux61Change, type Linux61ChangeId } from './mmu/rules.ts';
export { walkAddr, type GuestWalker, type WalkAccess } from './guest/walk.ts';
export { guestMode, type CpuState } from './guest/cpu.ts';
export { accessStr } from './mmu/constants.ts';
export { guestTables, sim_guestEntriesMade, sim_guestEntriesShape, type sim_GuestEntriesShape, type GuestTableJson, type GuestEntryJson } from './guest/tables.ts';
export { buildTrace, sim_objectJsonText, sim_traceJsonText, type TraceOptions, type TraceJson, type TraceStepJson } from './trace-doc.ts';
export { compareRuleSets, type CompareReport, type RoleDifference, type BehaviourDifference, type RequestRow, type RoleUnderRules } from './compare.ts';
export {
  ACCESS_OUTCOMES,
  ERROR_CODE_BITS,
  QUESTION_KINDS,
  WRITABLE_REASONS,
  answerKey,
  answerOf,
  sim_answerKeySteps,
  type StepQuestions,
  answerShapeError,
  canonicalAnswer,
  errorCodeText,
  generateQuestions,
  isQuestion,
  questionId,
  quizPick,
  sameAnswer,
  uniquePages,
  type Answer,
  type AnswerKey,
  type Choice,
  type NotApplicable,
  type PageAnswer,
  type Question,
  type QuestionInput,
  type QuestionKind,
  type QuestionSpec,
  type StepFacts,
  type WritableReason,
} from './questions.ts';
