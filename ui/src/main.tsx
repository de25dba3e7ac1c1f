import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { get, post, setCsrf, whenSignedOut } from './api';
import { Activity } from './pages/activity';
import { Admins } from './pages/admins';
import { Audit } from './pages/audit';
import { Devices } from './pages/devices';
import { Files } from './pages/files';
import { Login, type Me } from './pages/login';
import { UserEdit } from './pages/user-edit';
import { Users } from './pages/users';
import { href, useRoute } from './route';

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const route = useRoute();
  useEffect(() => {
    whenSignedOut(() => setMe(null));
    get<Me & { signed_in: boolean }>('/api/session')
      .then((m) => { if (m.signed_in) { setCsrf(m.csrf); setMe(m); } else setMe(null); })
      .catch(() => setMe(null));
  }, []);
  if (me === undefined) return null;
  if (me === null) return <Login onSignedIn={setMe} />;
  const canEdit = me.role !== 'viewer';
  const isAdmin = me.role === 'admin';
  const page = route[0];
  const nav: Array<[string, string, boolean]> = [
    ['users', 'Users', true], ['devices', 'Devices', true], ['activity', 'Activity', true], ['files', 'Files', true],
    ['admins', 'Admins', isAdmin], ['audit', 'Audit', isAdmin],
  ];
  const signOut = async () => {
    try { await post('/api/logout'); } finally { setMe(null); }
  };
  let body;
  if (page === 'users' && route[1]) body = <UserEdit key={route[1]} name={route[1]} canEdit={canEdit} />;
  else if (page === 'new-user') body = <UserEdit key="new" name={null} canEdit={canEdit} />;
  else if (page === 'devices') body = <Devices canEdit={canEdit} />;
  else if (page === 'activity') body = <Activity canEdit={canEdit} />;
  else if (page === 'files') body = <Files />;
  else if (page === 'admins' && isAdmin) body = <Admins me={me.name} />;
  else if (page === 'audit' && isAdmin) body = <Audit />;
  else body = <Users canEdit={canEdit} />;
  return (
    <>
      <header>
        <span class="brand">vutlan-radius</span>
        <nav>
          {nav.filter(([, , show]) => show).map(([id, label]) => (
            <a key={id} href={href(id)} class={page === id || (id === 'users' && page === 'new-user') ? 'active' : ''}>{label}</a>
          ))}
        </nav>
        <span class="who" id="who">{me.name} ({me.role})</span>
        <button class="secondary small" id="sign-out" onClick={signOut}>Sign out</button>
      </header>
      <main>{body}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
