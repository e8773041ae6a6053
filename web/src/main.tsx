import { render } from 'preact';
import { createApiClient } from './api/api-client.js';
import { createAuth } from './api/auth.js';
import { App } from './app.js';
import { AppServicesContext, type AppServices } from './app-context.js';
import { createTicker } from './state/ticker.js';
import './styles.css';

const auth = createAuth(sessionStorage);
const services: AppServices = { auth, api: createApiClient(auth), ticker: createTicker(1000) };
const root = document.getElementById('app');
if (root === null) throw new Error('#app is missing from index.html');
render(
  <AppServicesContext.Provider value={services}>
    <App />
  </AppServicesContext.Provider>,
  root,
);
