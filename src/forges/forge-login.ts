import type { ForgeName } from '../model/forge-event.js';

/** Who logged in, as the forge names them. */
export interface ForgeUser {
  /** The forge's stable user id (a login can be renamed). */
  id: string;
  login: string;
}

/**
 * A forge's OAuth web flow, used only to learn who someone is: what they may see is asked of
 * the forge with Slipway's own credentials (`Forge.accessOf`), so their token is dropped at once.
 */
export interface ForgeLogin {
  readonly forge: Extract<ForgeName, 'github' | 'gitlab'>;
  /** "GitHub", "GitLab": for the login button. */
  readonly label: string;
  authorizeUrl(state: string, redirectUri: string): string;
  /** Exchanges the callback's code; rejects when the forge refuses it. */
  identify(code: string, redirectUri: string): Promise<ForgeUser>;
}
