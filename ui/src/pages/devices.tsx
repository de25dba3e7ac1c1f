import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { ErrorBanner, Field, formatTime } from '../widgets';

interface ClientRow { name: string; address: string; require_message_authenticator: string; origin: string; requests: number; accepts: number; rejects: number; drops: number; last_seen: string | null }

export function Devices(p: { canEdit: boolean }) {
  const [rows, setRows] = useState<ClientRow[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [rma, setRma] = useState('yes');
  const [created, setCreated] = useState<{ name: string; address: string; secret: string } | null>(null);
  const [formError, setFormError] = useState<ApiError | null>(null);
  const load = () => get('/api/clients').then((r) => { setRows(r.clients); setError(null); }).catch(setError);
  useEffect(() => {
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, []);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      setCreated(await post('/api/clients', { name, address, require_message_authenticator: rma }));
      setFormError(null);
      setName('');
      setAddress('');
      void load();
    } catch (err) {
      setFormError(err as ApiError);
    }
  };
  return (
    <section>
      <div class="toolbar"><h2>Devices (RADIUS clients)</h2></div>
      <ErrorBanner error={error} />
      <div class="table-wrap">
        <table class="list" id="clients-table">
          <thead><tr><th>name</th><th>address</th><th>Message-Authenticator</th><th>requests</th><th>accepts</th><th>rejects</th><th>drops</th><th>last seen</th><th>defined at</th></tr></thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td><td>{c.address}</td><td>{c.require_message_authenticator}</td>
                <td class="num">{c.requests}</td><td class="num">{c.accepts}</td><td class="num">{c.rejects}</td><td class="num">{c.drops}</td>
                <td>{formatTime(c.last_seen)}</td><td class="muted small">{c.origin}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {created ? (
        <div class="banner warn" id="client-secret-box">
          <p>Client <strong>{created.name}</strong> ({created.address}) added. Its shared secret is shown <strong>this once</strong>: copy it to the device now.</p>
          <pre id="client-secret">{created.secret}</pre>
          <button class="secondary" onClick={() => setCreated(null)}>I have copied it</button>
        </div>
      ) : null}
      {p.canEdit ? (
        <form class="card" onSubmit={add} id="client-form">
          <h3>Add a device</h3>
          <ErrorBanner error={formError && formError.fields.length === 0 ? formError : null} />
          <div class="grid2">
            <Field label="Name" name="name" error={formError?.field('name')}><input id="client-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></Field>
            <Field label="Address (IP or CIDR)" name="address" error={formError?.field('address')}><input id="client-address" value={address} onInput={(e) => setAddress((e.target as HTMLInputElement).value)} /></Field>
            <Field label="require_message_authenticator" name="require_message_authenticator" error={formError?.field('require_message_authenticator')}>
              <select id="client-rma" value={rma} onChange={(e) => setRma((e.target as HTMLSelectElement).value)}>
                <option value="yes">yes (BlastRADIUS-safe)</option><option value="auto">auto (learnt)</option><option value="no">no</option>
              </select>
            </Field>
          </div>
          <p class="muted small">A strong secret is generated; the client is added to the config file and the server reloads.</p>
          <button type="submit" id="client-add">Add device</button>
        </form>
      ) : null}
    </section>
  );
}
