import type { ForgeEvent } from './forge-event.js';

/** What recording a forge event did. */
export type AcceptOutcome =
  | { outcome: 'duplicate' }
  | { outcome: 'queued'; pipelineId: number; superseded: number[] }
  | { outcome: 'joined'; pipelineId: number }
  | { outcome: 'canceled'; pipelineIds: number[] };

/** Records a verified forge event as durable work: what the HTTP edge hands every event to. */
export type Dispatch = (event: ForgeEvent) => Promise<AcceptOutcome>;
