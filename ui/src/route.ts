import { useEffect, useState } from 'preact/hooks';

/** Hash routes: #/users, #/users/NAME, #/devices ... (no server round trip, no history API needed). */
export function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'users').split('/').map((p) => decodeURIComponent(p));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(...parts: string[]): void {
  location.hash = `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}
