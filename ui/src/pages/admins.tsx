import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, del, get, post } from '../api';
import { ErrorBanner, Field, formatTime } from '../widgets';

export function Admins(p: { me: string }) {
  const [rows, setRows] = useState<any[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [form, setForm] = useState({ name: '', role: 'viewer', password: '' });
  const [formError, setFormError] = useState<ApiError | null>(null);
  const load = () => get('/api/admins').then((r) => setRows(r.admins)).catch(setError);
  useEffect(() => { void load(); }, []);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await post('/api/admins', form);
      setForm({ name: '', role: 'viewer', password: '' });
      setFormError(null);
      void load();
    } catch (err) {
      setFormError(err as ApiError);
    }
  };
  const act = async (fn: () => Promise<unknown>) => {
    try { await fn(); setError(null); } catch (err) { setError(err as ApiError); }
    void load();
  };
  return (
    <section>
      <div class="toolbar"><h2>Admin accounts</h2></div>
      <ErrorBanner error={error} />
      <div class="table-wrap">
        <table class="list" id="admins-table">
          <thead><tr><th>name</th><th>role</th><th>created</th><th>last sign-in</th><th></th></tr></thead>
          <tbody>
            {rows.map((a) => (
              <tr key={a.name}>
                <td>{a.name}</td>
                <td>
                  <select value={a.role} aria-label={`role of ${a.name}`} onChange={(e) => act(() => api('PATCH', `/api/admins/${encodeURIComponent(a.name)}`, { role: (e.target as HTMLSelectElement).value }))}>
                    <option value="viewer">viewer</option><option value="editor">editor</option><option value="admin">admin</option>
                  </select>
                </td>
                <td>{formatTime(a.created_at)}</td><td>{formatTime(a.last_login_at)}</td>
                <td>{a.name === p.me ? <span class="muted">you</span> : <button class="danger small" onClick={() => confirm(`Delete ${a.name}?`) && act(() => del(`/api/admins/${encodeURIComponent(a.name)}`))}>Delete</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form class="card" onSubmit={add} id="admin-form">
        <h3>Add an account</h3>
        <div class="grid2">
          <Field label="Name" name="name" error={formError?.field('name')}><input id="admin-name" value={form.name} onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })} /></Field>
          <Field label="Role" name="role" error={formError?.field('role')}>
            <select id="admin-role" value={form.role} onChange={(e) => setForm({ ...form, role: (e.target as HTMLSelectElement).value })}>
              <option value="viewer">viewer: reads everything</option><option value="editor">editor: + users, devices, test login</option><option value="admin">admin: + accounts, audit</option>
            </select>
          </Field>
          <Field label="Password (10 characters or more)" name="password" error={formError?.field('password')}><input id="admin-password" type="password" autocomplete="new-password" value={form.password} onInput={(e) => setForm({ ...form, password: (e.target as HTMLInputElement).value })} /></Field>
        </div>
        <button type="submit" id="admin-add">Add account</button>
      </form>
    </section>
  );
}
