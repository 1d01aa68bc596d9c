import type { ForgeCommand, ForgeEvent } from './forge-event.js';

/** What recording a forge event did. */
export type AcceptOutcome =
  | { outcome: 'duplicate' }
  | { outcome: 'queued'; pipelineId: number; superseded: number[] }
  | { outcome: 'joined'; pipelineId: number }
  | { outcome: 'canceled'; pipelineIds: number[] };

/** Records a verified forge event as durable work: what the HTTP edge hands every event to. */
export type Dispatch = (event: ForgeEvent) => Promise<AcceptOutcome>;

/** What a command did: the pipeline it acted on (or started), or why nothing was done. */
export type CommandOutcome = { outcome: 'duplicate' } | { outcome: 'done'; pipelineId: number } | { outcome: 'refused'; reason: string };

/** Carries out a verified retry or cancel command. */
export type HandleCommand = (command: ForgeCommand) => Promise<CommandOutcome>;
