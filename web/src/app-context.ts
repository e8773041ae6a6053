import { createContext } from 'preact';
import type { ApiClient } from './api/api-client.js';
import type { Auth } from './api/auth.js';
import type { Ticker } from './state/ticker.js';

export interface AppServices {
  api: ApiClient;
  auth: Auth;
  ticker: Ticker;
}

/** Services are created once in main.tsx and handed down; nothing in the UI is a module global. */
export const AppServicesContext = createContext<AppServices | null>(null);
