import { useState } from 'preact/hooks';
import { ApiError, post, setCsrf } from '../api';
import { ErrorBanner, Field } from '../widgets';

export interface Me { name: string; role: 'viewer' | 'editor' | 'admin'; csrf: string }

export function Login(p: { onSignedIn: (me: Me) => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const me = await post<Me>('/api/login', { name, password });
      setCsrf(me.csrf);
      p.onSignedIn(me);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="card">
        <h1>vutlan-radius</h1>
        <p class="muted">Web administration: sign in</p>
        <ErrorBanner error={error} />
        <Field label="Name" name="name"><input id="login-name" autocomplete="username" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></Field>
        <Field label="Password" name="password"><input id="login-password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} /></Field>
        <button type="submit" id="login-submit" disabled={busy}>Sign in</button>
      </form>
    </main>
  );
}
