import { useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, post, put } from '../api';
import { ListsEditor, type Lists } from '../lists-editor';
import { go } from '../route';
import { ErrorBanner, Field, Notice } from '../widgets';

interface Override { nas: string; lists: Lists }
interface Entry { nas?: string; lists: Lists; valid: boolean; otherCheck: string[]; otherReply: string[]; password: string | null }
interface Profile { name: string; valid: boolean; entries: Entry[] }

export function UserEdit(p: { name: string | null; canEdit: boolean }) {
  const creating = p.name === null;
  const [name, setName] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [pwKind, setPwKind] = useState('device');
  const [pw, setPw] = useState('');
  const [lists, setLists] = useState<Lists>({});
  const [overrides, setOverrides] = useState<Override[]>([]);
  const [others, setOthers] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState('');
  const [loaded, setLoaded] = useState(creating);
  const [version, setVersion] = useState(0);

  const load = (prof: Profile) => {
    const general = prof.entries.find((e) => e.nas === undefined);
    setEnabled(prof.valid);
    setLists({ ...(general?.lists ?? {}) });
    setOverrides(prof.entries.filter((e) => e.nas !== undefined).map((e) => ({ nas: e.nas!, lists: { ...e.lists } })));
    setOthers(prof.entries.flatMap((e) => [...e.otherCheck, ...e.otherReply].map((x) => `${e.nas ? `NAS ${e.nas}` : 'any NAS'}: ${x}`)));
    setLoaded(true);
  };
  useEffect(() => {
    if (p.name !== null) get<Profile>(`/api/users/${encodeURIComponent(p.name)}`).then(load).catch(setError);
  }, [p.name]);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaved('');
    const body = {
      ...(creating ? { name } : {}),
      enabled,
      ...(pw !== '' || creating ? { password: { kind: pwKind, value: pw } } : {}),
      lists,
      overrides,
    };
    try {
      const prof = creating ? await post<Profile>('/api/users', body) : await put<Profile>(`/api/users/${encodeURIComponent(p.name!)}`, body);
      setError(null);
      setPw('');
      setSaved(`saved ${prof.name}`);
      setVersion(version + 1);
      if (creating) go('users', prof.name);
      else load(prof);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete every entry of ${p.name}?`)) return;
    try {
      await del(`/api/users/${encodeURIComponent(p.name!)}`);
      go('users');
    } catch (err) {
      setError(err as ApiError);
    }
  };
  if (!loaded) {
    // a store edited elsewhere (users.sql): the rights and the test login still work
    const readOnly = error?.code === 'store_read_only' && p.name !== null;
    return (
      <section>
        {readOnly ? <div class="toolbar"><h2>User <span id="user-title">{p.name}</span></h2></div> : null}
        <ErrorBanner error={error} />
        {readOnly ? <Rights name={p.name!} version={0} /> : null}
        {readOnly && p.canEdit ? <TestLogin name={p.name!} /> : null}
      </section>
    );
  }
  const ro = !p.canEdit;
  return (
    <section>
      <div class="toolbar"><h2>{creating ? 'New user' : <>User <span id="user-title">{p.name}</span></>}</h2></div>
      <form onSubmit={save} id="user-form">
        <ErrorBanner error={error && error.fields.length === 0 ? error : null} />
        {error && error.fields.length > 0 ? <div class="banner error" role="alert">Not saved: fix the fields marked below. Nothing was changed.</div> : null}
        {saved ? <Notice>{saved}</Notice> : null}
        <div class="card grid2">
          {creating
            ? <Field label="Name" name="name" error={error?.field('name')}><input id="user-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></Field>
            : null}
          <Field label="Enabled" name="enabled" error={error?.field('enabled')}>
            <input type="checkbox" id="user-enabled" disabled={ro} checked={enabled} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} />
          </Field>
          <Field label={creating ? 'Password' : 'New password (empty: keep)'} name="password" error={error?.field('password')}>
            <div class="group-row">
              <select id="user-password-kind" disabled={ro} value={pwKind} onChange={(e) => setPwKind((e.target as HTMLSelectElement).value)}>
                <option value="device">device login password</option>
                <option value="sha1-hex">SHA-1 hex (what the device sends)</option>
                <option value="plain">plain PAP password</option>
              </select>
              <input id="user-password" type="password" autocomplete="new-password" disabled={ro} value={pw} onInput={(e) => setPw((e.target as HTMLInputElement).value)} />
            </div>
            <div class="muted small">Stored as a salted hash (SSHA2-512); for a device login, of the password's SHA-1 hex.</div>
          </Field>
        </div>
        <h3>Rights on every NAS</h3>
        <ListsEditor prefix="lists" testid="general" lists={lists} onChange={setLists} error={error} readOnly={ro} />
        <h3>Per-NAS overrides</h3>
        <p class="muted small">An override is an entry with <code>NAS-IP-Address == IP</code> before the general one: that device gets these lists instead.</p>
        {overrides.map((o, i) => (
          <div class="card override" key={i} data-testid={`override-${i}`}>
            <div class="group-row">
              <Field label="NAS IP address" name={`overrides.${i}.nas`} error={error?.field(`overrides.${i}.nas`)}>
                <input data-testid={`override-${i}-nas`} disabled={ro} value={o.nas}
                  onInput={(e) => setOverrides(overrides.map((x, j) => (j === i ? { ...x, nas: (e.target as HTMLInputElement).value } : x)))} />
              </Field>
              {ro ? null : <button type="button" class="secondary" onClick={() => setOverrides(overrides.filter((_, j) => j !== i))}>Remove override</button>}
            </div>
            <ListsEditor prefix={`overrides.${i}.lists`} testid={`override-${i}`} lists={o.lists} readOnly={ro}
              onChange={(l) => setOverrides(overrides.map((x, j) => (j === i ? { ...x, lists: l } : x)))} error={error} />
          </div>
        ))}
        {ro ? null : <button type="button" class="secondary" id="override-add" onClick={() => setOverrides([...overrides, { nas: '', lists: { ...lists } }])}>Add NAS override</button>}
        {others.length > 0 ? <Notice kind="warn">Other items kept as they are: {others.join('; ')}</Notice> : null}
        {ro ? null : (
          <div class="actions">
            <button type="submit" id="user-save">{creating ? 'Create user' : 'Save'}</button>
            {creating ? null : <button type="button" class="danger" id="user-delete" onClick={remove}>Delete user</button>}
          </div>
        )}
      </form>
      {creating ? null : <Rights name={p.name!} version={version} />}
      {creating || ro ? null : <TestLogin name={p.name!} />}
    </section>
  );
}

interface DeviceRights { nas: string; label: string; matched: boolean; lists: Lists; reply: string[]; entries: string[] }

function Rights(p: { name: string; version: number }) {
  const [rows, setRows] = useState<DeviceRights[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    get(`/api/users/${encodeURIComponent(p.name)}/rights`).then((r) => setRows(r.devices)).catch(setError);
  }, [p.name, p.version]);
  return (
    <div class="card">
      <h3>Effective rights</h3>
      <p class="muted small">What each device receives for this user, by the server's own evaluator over the configuration in service (password not checked).</p>
      <ErrorBanner error={error} />
      <div class="table-wrap">
        <table class="list" id="rights-table">
          <thead><tr><th>device</th><th>NAS-IP</th><th>SRead</th><th>SWrite</th><th>CRead</th><th>CWrite</th><th>GRead</th><th>GWrite</th></tr></thead>
          <tbody>
            {(rows ?? []).map((r) => (
              <tr key={r.nas} data-nas={r.nas}>
                <td>{r.label}</td><td>{r.nas}</td>
                {r.matched
                  ? (['sread', 'swrite', 'cread', 'cwrite', 'gread', 'gwrite'] as const).map((k) => <td key={k}>{r.lists[k] ?? '-'}</td>)
                  : <td colSpan={6} class="muted">no entry matches: Access-Reject</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function TestLogin(p: { name: string }) {
  const [nas, setNas] = useState('127.0.0.1');
  const [password, setPassword] = useState('');
  const [device, setDevice] = useState(true);
  const [result, setResult] = useState<{ code: string; client: string; from: string; lines: string[] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const send = async (e: Event) => {
    e.preventDefault();
    try {
      setResult(await post('/api/test-login', { user: p.name, password, device, nas }));
      setError(null);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <form class="card" onSubmit={send} id="test-login">
      <h3>Test login</h3>
      <p class="muted small">Sends a real Access-Request through the running server as the chosen NAS and shows the reply.</p>
      <div class="grid2">
        <Field label="NAS IP address" name="nas" error={error?.field('nas')}><input id="test-nas" value={nas} onInput={(e) => setNas((e.target as HTMLInputElement).value)} /></Field>
        <Field label="Password" name="test-password"><input id="test-password" type="password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} /></Field>
        <Field label="Send its SHA-1 hex, as a Vutlan device does" name="device"><input type="checkbox" id="test-device" checked={device} onChange={(e) => setDevice((e.target as HTMLInputElement).checked)} /></Field>
      </div>
      <ErrorBanner error={error && error.fields.length === 0 ? error : null} />
      <button type="submit" id="test-send">Send Access-Request</button>
      {result ? (
        <div id="test-result">
          <p><strong class={result.code === 'Access-Accept' ? 'ok' : 'bad'}>{result.code}</strong> (client {result.client}, from {result.from})</p>
          <pre>{result.lines.join('\n')}</pre>
        </div>
      ) : null}
    </form>
  );
}
