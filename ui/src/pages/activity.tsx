import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { ApiError, get, post } from '../api';
import { ErrorBanner, formatTime } from '../widgets';

interface Counters { time: number; requests: number; accepts: number; rejects: number; drops: number }
const SERIES = [
  { key: 'requests', label: 'requests/s', stroke: '#2563eb' },
  { key: 'accepts', label: 'accepts/s', stroke: '#16a34a' },
  { key: 'rejects', label: 'rejects/s', stroke: '#dc2626' },
  { key: 'drops', label: 'drops/s', stroke: '#9333ea' },
] as const;
const KEEP = 150; // 5 minutes at one sample every 2 s

function Chart() {
  const el = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const data: number[][] = [[], [], [], [], []];
    let prev: Counters | undefined;
    const width = () => Math.max(280, (el.current?.clientWidth ?? 600) - 8);
    const plot = new uPlot({
      width: width(), height: 220,
      series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
      axes: [{}, { size: 50 }],
      scales: { x: { time: true } },
    }, data as uPlot.AlignedData, el.current!);
    const tick = async () => {
      try {
        const c = await get<Counters>('/api/activity/counters');
        setError(null);
        if (prev && c.time > prev.time) {
          const dt = c.time - prev.time;
          data[0]!.push(c.time);
          SERIES.forEach((s, i) => data[i + 1]!.push(Math.max(0, (c[s.key] - prev![s.key]) / dt)));
          if (data[0]!.length > KEEP) data.forEach((d) => d.shift());
          plot.setData(data as uPlot.AlignedData);
        }
        prev = c;
      } catch (err) {
        setError(err as ApiError);
      }
    };
    void tick();
    const t = setInterval(tick, 2000);
    const onResize = () => plot.setSize({ width: width(), height: 220 });
    addEventListener('resize', onResize);
    return () => { clearInterval(t); removeEventListener('resize', onResize); plot.destroy(); };
  }, []);
  return <div class="card"><h3>Live traffic</h3><ErrorBanner error={error} /><div ref={el} id="traffic-chart" /></div>;
}

function ReloadStatus(p: { canEdit: boolean }) {
  const [s, setS] = useState<any>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = () => get('/api/status').then(setS).catch(setError);
  useEffect(() => { void load(); }, []);
  const reload = async () => {
    try { await post('/api/reload'); } catch (err) { setError(err as ApiError); }
    void load();
  };
  if (!s) return <ErrorBanner error={error} />;
  const r = s.reload;
  return (
    <div class="card" id="reload-status">
      <h3>Configuration</h3>
      <ErrorBanner error={error} />
      <p>{s.config}: generation {r.generation}, {s.clients} clients, {s.users_file_entries} users-file entries{s.store ? `, store ${s.store}` : ''}.</p>
      <p>Last reload: {r.lastAttempt ? `${formatTime(r.lastAttempt)} ${r.lastOk ? 'ok' : 'FAILED (still serving the previous configuration)'}` : 'none since start'}; in service since {formatTime(r.lastSuccess)}.</p>
      {r.lastErrors.length > 0 ? <pre class="bad" id="reload-errors">{r.lastErrors.join('\n')}</pre> : null}
      {s.warnings.length > 0 ? <pre class="muted">{s.warnings.join('\n')}</pre> : null}
      {p.canEdit ? <button class="secondary" id="reload-now" onClick={reload}>Reload now</button> : null}
    </div>
  );
}

const REASONS = ['', 'wrong_password', 'no_matching_entry', 'no_password', 'unknown_client', 'bad_message_authenticator', 'missing_message_authenticator', 'malformed', 'invalid_user_name', 'auth_type_reject', 'rate_limited'];

function Failures() {
  const [f, setF] = useState({ user: '', reason: '', client: '', src: '' });
  const [rows, setRows] = useState<any[] | null>(null);
  const [configured, setConfigured] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const q = new URLSearchParams(Object.entries(f).filter(([, v]) => v !== '')).toString();
    const load = () => get(`/api/activity/failures?limit=200&${q}`).then((r) => { setRows(r.records); setConfigured(r.configured); setError(null); }).catch(setError);
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [f.user, f.reason, f.client, f.src]);
  const input = (k: keyof typeof f, label: string) => (
    <input placeholder={label} id={`fail-${k}`} value={f[k]} onInput={(e) => setF({ ...f, [k]: (e.target as HTMLInputElement).value })} />
  );
  return (
    <div class="card">
      <h3>Recent failed logins</h3>
      <ErrorBanner error={error} />
      {!configured ? <p class="muted">No auth-fail log: set <code>log.auth_fail</code> in the config file.</p> : null}
      <div class="filters">
        {input('user', 'user')}
        <select id="fail-reason" value={f.reason} onChange={(e) => setF({ ...f, reason: (e.target as HTMLSelectElement).value })}>
          {REASONS.map((r) => <option key={r} value={r}>{r || 'any reason'}</option>)}
        </select>
        {input('client', 'client')}
        {input('src', 'source address')}
      </div>
      <div class="table-wrap">
        <table class="list" id="failures-table">
          <thead><tr><th>time</th><th>user</th><th>reason</th><th>client</th><th>from</th><th>NAS-IP</th><th>action</th><th>detail</th></tr></thead>
          <tbody>
            {(rows ?? []).map((r, i) => (
              <tr key={i}>
                <td>{formatTime(r.time)}</td><td>{r.user ?? ''}</td><td>{r.reason}</td><td>{r.client ?? ''}</td>
                <td>{r.src}{r.src_port ? `:${r.src_port}` : ''}</td><td>{r.nas_ip ?? ''}</td><td>{r.action}</td><td class="small">{r.detail ?? ''}{r.password_fp ? ` (fp ${r.password_fp})` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function Activity(p: { canEdit: boolean }) {
  return (
    <section>
      <div class="toolbar"><h2>Activity</h2></div>
      <Chart />
      <ReloadStatus canEdit={p.canEdit} />
      <Failures />
    </section>
  );
}
