import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api';
import { ErrorBanner } from '../widgets';

export function Files() {
  const [search, setSearch] = useState('');
  const [data, setData] = useState<any>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const t = setTimeout(() => get(`/api/files?limit=200&search=${encodeURIComponent(search)}`).then(setData).catch(setError), 150);
    return () => clearTimeout(t);
  }, [search]);
  return (
    <section>
      <div class="toolbar">
        <h2>Users from authorize files (read-only)</h2>
        <input type="search" id="files-search" placeholder="search names" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
      </div>
      <ErrorBanner error={error} />
      {data ? (
        <>
          <div class="card">
            <p>These entries come from {data.files.length === 0 ? 'no file' : data.files.join(', ')} and change only by editing the file (the server reloads it by itself). To manage them here, import them into the SQLite store, then remove the file from <code>users.files</code>:</p>
            <pre id="import-command">{data.import_command.join('\n') || 'vutlan-radius users --db users.sqlite import FILE'}</pre>
          </div>
          <p class="muted">{data.total} entries</p>
          <div class="table-wrap">
            <table class="list" id="files-table">
              <thead><tr><th>name</th><th>check items</th><th>reply items</th><th>defined at</th></tr></thead>
              <tbody>
                {data.entries.map((e: any, i: number) => (
                  <tr key={i}>
                    <td>{e.name}{e.fall_through ? ' (Fall-Through)' : ''}</td>
                    <td class="small"><code>{e.check.join(', ')}</code></td>
                    <td class="small"><code>{e.reply.join(', ')}</code></td>
                    <td class="muted small">{e.origin}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
