import { useState } from 'preact/hooks';
import { useServices } from '../use-services.js';

/** Shown whenever the API answers 401; the token stays in this tab's sessionStorage only. */
export function LoginForm() {
  const { auth } = useServices();
  const [token, setToken] = useState('');
  const refused = auth.lastTokenRefused();
  return (
    <main class="login">
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim() !== '') auth.login(token.trim());
        }}
      >
        <h1>callscribe</h1>
        <p>This server requires an API token (CALLSCRIBE_API_TOKEN).</p>
        {refused && (
          <p class="error" role="alert">
            The token was not accepted.
          </p>
        )}
        <label for="api-token">API token</label>
        <input
          id="api-token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
