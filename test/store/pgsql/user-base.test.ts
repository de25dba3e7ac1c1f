import { describe, expect, it } from 'vitest';
import { loadDictionary } from '../../../src/protocol/dictionary-loader.js';
import { SqlUserBase } from '../../../src/store/pgsql/user-base.js';

const dict = loadDictionary('dictionaries/dictionary');
const row = (id: number, name: string, attribute: string, value: string, op = ':=') => ({ id, name, attribute, op, value });

describe('SqlUserBase: one record per user, replaced table by table', () => {
  it('keeps each table\'s rows of a user apart, counts users with radcheck rows, drops a user once no table has rows', () => {
    const base = new SqlUserBase(dict);
    base.replace('radcheck', 'all', [row(1, 'ann', 'Cleartext-Password', 'a'), row(2, 'bob', 'Cleartext-Password', 'b')]);
    base.replace('radreply', 'all', [row(3, 'ann', 'SRead', 'all,', '='), row(4, 'cid', 'SRead', 'view,', '=')]);
    base.replace('radusergroup', 'all', [{ id: 1, username: 'dee', groupname: 'g1', priority: 1 }, { id: 2, username: 'dee', groupname: 'g2', priority: 2 }]);
    expect(base.userCount).toBe(2);
    expect(base.userNames()).toEqual(['ann', 'bob', 'cid', 'dee']);
    expect(base.user('ann').check.rows).toBe(1);
    expect(base.user('ann').reply.items.map((i) => i.attr.name)).toEqual(['SRead']);
    expect(base.user('ann').reply.prepared.alone.map((a) => a.value.toString())).toEqual(['all,']);
    expect(base.user('dee').groups).toEqual(['g1', 'g2']);
    expect(base.user('nobody')).toMatchObject({ check: { rows: 0 }, reply: { rows: 0 }, groups: [] });

    // a change to some names leaves the others and the other tables alone
    base.replace('radcheck', ['ann', 'eve'], [row(5, 'eve', 'Cleartext-Password', 'e')]);
    expect(base.user('ann').check.rows).toBe(0);
    expect(base.user('ann').reply.rows).toBe(1);
    expect(base.user('bob').check.rows).toBe(1);
    expect(base.userCount).toBe(2);
    base.replace('radreply', ['ann'], []);
    expect(base.userNames()).toEqual(['bob', 'cid', 'dee', 'eve']);
    base.replace('radusergroup', 'all', []);
    expect(base.userNames()).toEqual(['bob', 'cid', 'eve']);
  });

  it('reports an unparsable row with table, row id and name, and keeps it as an error set', () => {
    const base = new SqlUserBase(dict);
    const problems = base.replace('radreply', 'all', [row(9, 'ann', 'RFU2', '', '=')]);
    expect(problems).toEqual([{ table: 'radreply', name: 'ann', message: expect.stringContaining('radreply row id 9 (ann)') }]);
    expect(base.user('ann').reply.error).toContain('row id 9');
  });
});
