import { useEffect, useState } from 'preact/hooks';
import { LoginForm } from './components/login-form.js';
import { CallPage } from './pages/call-page.js';
import { CallsPage } from './pages/calls-page.js';
import { useHashRoute } from './route.js';
import { useServices } from './use-services.js';

export function App() {
  const { auth } = useServices();
  const route = useHashRoute();
  const [loginRequired, setLoginRequired] = useState(auth.loginRequired());
  // A new session after login remounts the page, so it reloads with the token.
  const [session, setSession] = useState(0);
  useEffect(
    () =>
      auth.subscribe(() => {
        const required = auth.loginRequired();
        setLoginRequired(required);
        if (!required) setSession((s) => s + 1);
      }),
    [auth],
  );

  if (loginRequired) return <LoginForm />;
  return route.page === 'call' ? (
    <CallPage key={`${session}:${route.callId}`} callId={route.callId} />
  ) : (
    <CallsPage key={session} />
  );
}
