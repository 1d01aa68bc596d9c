import pg from 'pg';
import type { Logger } from '../telemetry/logger.js';
import type { Pool } from './pool.js';

/** PostgreSQL channels Slipway's processes wake each other on. */
export const CHANNELS = {
  /** A pipeline was queued: a worker anywhere should claim it now. */
  pipelineQueued: 'slipway_pipeline_queued',
  /** A pipeline was canceled or superseded (payload: its id): its worker stops it now. */
  pipelineCanceled: 'slipway_pipeline_canceled',
  /** A deploy was approved: a runner should claim it now. */
  deployApproved: 'slipway_deploy_approved',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

export async function notify(pool: Pool, channel: Channel, payload = ''): Promise<void> {
  await pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

export interface Listener {
  stop(): Promise<void>;
}

/**
 * One connection that LISTENs on `channels` and calls `onNotify`; it reconnects after an
 * error, and `onReconnect` lets callers look for what they may have missed meanwhile.
 */
export function listen(databaseUrl: string, channels: Channel[], onNotify: (channel: Channel, payload: string) => void, logger: Logger, onReconnect?: () => void): Listener {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (stopped) return;
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on('notification', (message) => onNotify(message.channel as Channel, message.payload ?? ''));
    next.on('error', (error) => {
      logger.warn({ err: error }, 'the notification connection failed; reconnecting');
      void next.end().catch(() => undefined);
      if (client === next) client = undefined;
      schedule();
    });
    try {
      await next.connect();
      for (const channel of channels) await next.query(`LISTEN ${channel}`);
      if (stopped) return void (await next.end());
      client = next;
      onReconnect?.();
    } catch (error) {
      logger.warn({ err: error }, 'could not listen for notifications; trying again');
      void next.end().catch(() => undefined);
      schedule();
    }
  };
  const schedule = () => {
    if (!stopped && !retry) retry = setTimeout(() => ((retry = undefined), void connect()), 1_000);
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
