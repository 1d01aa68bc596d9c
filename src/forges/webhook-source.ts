import type { IncomingMessage } from 'node:http';
import type { Refusal } from '../model/refusal.js';
import type { ParsedWebhook } from './parse-result.js';

/**
 * What differs between forges' webhooks: where they arrive, how they are authenticated,
 * identified and parsed. The HTTP edge mounts every source the same way.
 */
export interface WebhookSource {
  path: string;
  /**
   * Where the forge authenticates with a header alone (GitLab's token), the check runs before
   * a byte of the body is read: undefined when the request is authentic (answered 401 otherwise).
   */
  authenticateHeaders?(request: IncomingMessage): Promise<Refusal | undefined> | Refusal | undefined;
  /** Undefined when the request is authentic; otherwise why not (answered with 401). */
  authenticate(request: IncomingMessage, body: Buffer): Promise<Refusal | undefined> | Refusal | undefined;
  /** The event name and delivery id, or why they are missing (answered with 400). */
  identify(request: IncomingMessage, body: Buffer): { name: string; deliveryId: string } | Refusal;
  parse(name: string, deliveryId: string, payload: unknown): ParsedWebhook;
  /**
   * Where the secret alone does not prove what a payload says (GitLab's token is shared with
   * whoever configured the hook), the facts are asked of the forge: the event or command as the
   * forge states it, `refused` (403, audited) where it contradicts the payload. Throws when the
   * forge cannot be asked (answered 503, so the forge delivers again).
   */
  verify?(parsed: ParsedWebhook, request: IncomingMessage): Promise<ParsedWebhook>;
}

/** A forge this server has no configuration for: its path answers 404 with what to set. */
export interface UnconfiguredSource {
  path: string;
  message: string;
}

export function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
