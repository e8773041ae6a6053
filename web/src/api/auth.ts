/**
 * The API token, kept in sessionStorage so it dies with the tab, plus whether the server
 * currently asks for one. Pages subscribe to show the login form when a request returns 401.
 */
export interface Auth {
  token(): string | null;
  loginRequired(): boolean;
  /** True when the last submitted token was refused again, to tell the user why. */
  lastTokenRefused(): boolean;
  login(token: string): void;
  requireLogin(): void;
  subscribe(listener: () => void): () => void;
}

const storageKey = 'callscribe.apiToken';

export function createAuth(storage: Storage): Auth {
  let required = false;
  let refused = false;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  return {
    token: () => storage.getItem(storageKey),
    loginRequired: () => required,
    lastTokenRefused: () => refused,
    login(token) {
      storage.setItem(storageKey, token);
      required = false;
      notify();
    },
    requireLogin() {
      if (required) return;
      refused = storage.getItem(storageKey) !== null;
      storage.removeItem(storageKey);
      required = true;
      notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
