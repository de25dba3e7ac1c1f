import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api';
import { ErrorBanner, formatTime } from '../widgets';

export function Audit() {
  const [data, setData] = useState<any>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => { get('/api/audit?limit=200').then(setData).catch(setError); }, []);
  return (
    <section>
      <div class="toolbar"><h2>Audit trail</h2></div>
      <ErrorBanner error={error} />
      {data ? <p class="muted">{data.total} records (newest first; also in the admin audit log file)</p> : null}
      <div class="table-wrap">
        <table class="list" id="audit-table">
          <thead><tr><th>time</th><th>who</th><th>from</th><th>action</th><th>target</th><th>before</th><th>after</th></tr></thead>
          <tbody>
            {(data?.records ?? []).map((r: any, i: number) => (
              <tr key={i}>
                <td>{formatTime(r.time)}</td><td>{r.actor}</td><td>{r.address}</td><td>{r.action}</td><td>{r.target}</td>
                <td class="small"><code>{r.before === null ? '' : JSON.stringify(r.before)}</code></td>
                <td class="small"><code>{r.after === null ? '' : JSON.stringify(r.after)}</code></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
