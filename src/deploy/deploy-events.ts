import type { Deployment } from '../model/deployment.js';

export type DeployEvent = { type: 'changed'; deployment: Deployment } | { type: 'approved'; deployment: Deployment };

export type DeployListener = (event: DeployEvent) => Promise<void> | void;

/**
 * What deploy commands tell the world. Chat (the Slack message), the forge (deployment
 * statuses) and the runner (wake up) subscribe; deploy/ knows none of them.
 */
export function createDeployEvents(onListenerError: (error: unknown, event: DeployEvent) => void) {
  const listeners: DeployListener[] = [];
  return {
    subscribe(listener: DeployListener): void {
      listeners.push(listener);
    },
    async emit(event: DeployEvent): Promise<void> {
      for (const listener of listeners) {
        try {
          await listener(event);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
  };
}

export type DeployEvents = ReturnType<typeof createDeployEvents>;
