import type { ApiError } from './api';
import { Field } from './widgets';

/**
 * The six Vutlan lists of one entry (plus RFU1/RFU2): SRead/SWrite as a matrix of checkboxes
 * over the device's resource ids, CRead/CWrite as text (the web client's own ids), GRead/GWrite
 * as all / none / group ids. Values are kept in the device's form ("a,b,"); an unchecked list
 * is absent from the entry (never sent empty).
 */

export type Lists = Partial<Record<string, string>>;

export const RESOURCE_IDS = [
  'accesskeys', 'cameras', 'canbus', 'devvirt', 'elements', 'groups', 'gsm', 'languges', 'log',
  'logics', 'modules', 'notify', 'relays', 'sdcard', 'system', 'users', 'view', 'all',
];

function ids(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function joinIds(list: string[]): string | undefined {
  return list.length === 0 ? undefined : `${list.join(',')},`;
}

export function ListsEditor(p: { prefix: string; testid: string; lists: Lists; onChange: (l: Lists) => void; error: ApiError | null; readOnly?: boolean }) {
  const set = (key: string, value: string | undefined) => {
    const next = { ...p.lists };
    if (value === undefined) delete next[key];
    else next[key] = value;
    p.onChange(next);
  };
  const err = (key: string) => p.error?.field(`${p.prefix}.${key}`);
  const toggle = (key: string, id: string, on: boolean) => {
    const cur = ids(p.lists[key]);
    const next = on ? [...cur.filter((x) => x !== id), id] : cur.filter((x) => x !== id);
    // keep the device's order of resource ids, unknown ids (from elsewhere) after them
    const known = RESOURCE_IDS.filter((r) => next.includes(r));
    set(key, joinIds([...known, ...next.filter((x) => !RESOURCE_IDS.includes(x))]));
  };
  const groupMode = (key: string): string => {
    const v = ids(p.lists[key]);
    if (v.length === 0) return p.lists[key] === undefined ? '' : 'groups';
    if (v.length === 1 && (v[0] === 'all' || v[0] === 'none')) return v[0]!;
    return 'groups';
  };
  return (
    <div class="lists" data-testid={p.testid}>
      <div class="matrix-wrap">
        <table class="matrix">
          <thead><tr><th>resource</th><th>SRead</th><th>SWrite</th></tr></thead>
          <tbody>
            {RESOURCE_IDS.map((id) => (
              <tr key={id}>
                <td>{id}</td>
                {(['sread', 'swrite'] as const).map((key) => (
                  <td key={key}>
                    <input type="checkbox" aria-label={`${key} ${id}`} data-testid={`${p.testid}-${key}-${id}`} disabled={p.readOnly}
                      checked={ids(p.lists[key]).includes(id)} onChange={(e) => toggle(key, id, (e.target as HTMLInputElement).checked)} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {err('sread') ? <div class="field-error" role="alert" data-error-for={`${p.prefix}.sread`}>{err('sread')}</div> : null}
        {err('swrite') ? <div class="field-error" role="alert" data-error-for={`${p.prefix}.swrite`}>{err('swrite')}</div> : null}
        {ids(p.lists.sread).concat(ids(p.lists.swrite)).some((x) => !RESOURCE_IDS.includes(x))
          ? <div class="field-error">unknown resource ids in the stored lists: {ids(p.lists.sread).concat(ids(p.lists.swrite)).filter((x) => !RESOURCE_IDS.includes(x)).join(', ')}</div> : null}
      </div>
      <div class="list-fields">
        {(['gread', 'gwrite'] as const).map((key) => (
          <Field key={key} name={`${p.prefix}.${key}`} label={key === 'gread' ? 'GRead (groups, read)' : 'GWrite (groups, write)'} error={err(key)}>
            <div class="group-row">
              <select data-testid={`${p.testid}-${key}-mode`} disabled={p.readOnly} value={groupMode(key)}
                onChange={(e) => {
                  const m = (e.target as HTMLSelectElement).value;
                  set(key, m === '' ? undefined : m === 'groups' ? (groupMode(key) === 'groups' ? p.lists[key] : '') : `${m},`);
                }}>
                <option value="">not set</option>
                <option value="all">all</option>
                <option value="none">none</option>
                <option value="groups">group ids</option>
              </select>
              {groupMode(key) === 'groups'
                ? <input type="text" data-testid={`${p.testid}-${key}`} placeholder="3001,3002" disabled={p.readOnly} value={p.lists[key] ?? ''}
                    onInput={(e) => set(key, (e.target as HTMLInputElement).value)} />
                : null}
            </div>
          </Field>
        ))}
        {(['cread', 'cwrite', 'rfu1', 'rfu2'] as const).map((key) => (
          <Field key={key} name={`${p.prefix}.${key}`} label={{ cread: 'CRead (web client, read)', cwrite: 'CWrite (web client, write)', rfu1: 'RFU1', rfu2: 'RFU2' }[key]} error={err(key)}>
            <input type="text" data-testid={`${p.testid}-${key}`} disabled={p.readOnly} value={p.lists[key] ?? ''} placeholder="not set"
              onInput={(e) => {
                const v = (e.target as HTMLInputElement).value;
                set(key, v === '' ? undefined : v);
              }} />
          </Field>
        ))}
      </div>
    </div>
  );
}
