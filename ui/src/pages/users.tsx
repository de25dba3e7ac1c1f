import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api';
import { go, href } from '../route';
import { ErrorBanner, Notice } from '../widgets';

interface UserRow { name: string; enabled: boolean; nas: string[]; password: string | null }
const PAGE = 50;

/** With a store edited elsewhere (users.sql): open a user's rights and test login by name. */
function UserLookup() {
  const [name, setName] = useState('');
  return (
    <form class="card" onSubmit={(e) => { e.preventDefault(); if (name) go('users', name); }}>
      <label for="user-lookup">Show a user's effective rights</label>
      <div class="group-row"><input id="user-lookup" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /><button type="submit">Show</button></div>
    </form>
  );
}

export function Users(p: { canEdit: boolean }) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; users: UserRow[] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      get(`/api/users?search=${encodeURIComponent(search)}&offset=${offset}&limit=${PAGE}`)
        .then((r) => { if (live) { setPage(r); setError(null); } })
        .catch((e) => { if (live) setError(e); });
    }, 150);
    return () => { live = false; clearTimeout(t); };
  }, [search, offset]);
  return (
    <section>
      <div class="toolbar">
        <h2>Users</h2>
        <input type="search" id="user-search" placeholder="search names" value={search}
          onInput={(e) => { setSearch((e.target as HTMLInputElement).value); setOffset(0); }} />
        {p.canEdit ? <button id="user-add" onClick={() => go('new-user')}>Add user</button> : null}
      </div>
      <ErrorBanner error={error} />
      {error?.code === 'store_read_only' ? <UserLookup /> : null}
      {error?.code === 'no_store' ? <Notice kind="warn">Users are managed in the SQLite store: set <code>users.sqlite</code> in the config file. Users of authorize files are under Files.</Notice> : null}
      {page ? (
        <>
          <div class="table-wrap">
            <table class="list" id="users-table">
              <thead><tr><th>name</th><th>state</th><th>per-NAS overrides</th><th>password</th></tr></thead>
              <tbody>
                {page.users.map((u) => (
                  <tr key={u.name}>
                    <td><a href={href('users', u.name)} data-testid="user-link">{u.name}</a></td>
                    <td>{u.enabled ? 'enabled' : <span class="tag off">disabled</span>}</td>
                    <td>{u.nas.join(', ')}</td>
                    <td class="muted">{u.password ?? '(none)'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
            <span id="users-range">{page.total === 0 ? 'no users' : `${offset + 1}-${Math.min(offset + PAGE, page.total)} of ${page.total}`}</span>
            <button disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>Next</button>
          </div>
        </>
      ) : null}
    </section>
  );
}
