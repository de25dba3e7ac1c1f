import { describe, expect, it } from 'vitest';
import { canRead, canWrite, EMPTY_LISTS, findListProblem, listTokens, ServerResources } from '../../src/device/permissions.js';

const lists = (sread: string, swrite: string) => ({ ...EMPTY_LISTS, sread, swrite });

describe('permission lists', () => {
  it('splits on commas, trims whitespace and ignores empty tokens', () => {
    expect(listTokens('all,')).toEqual(['all']);
    expect(listTokens(' 3001, 3002 ,,')).toEqual(['3001', '3002']);
    expect(listTokens('')).toEqual([]);
  });

  it('write implies read; read does not imply write', () => {
    expect(canRead(lists('', 'users,'), 'users')).toBe(true);
    expect(canWrite(lists('users,', ''), 'users')).toBe(false);
    expect(canRead(lists('log,', ''), 'users')).toBe(false);
  });

  it('"all" grants every resource, in either list', () => {
    for (const r of ServerResources) {
      expect(canRead(lists('all,', ''), r)).toBe(true);
      expect(canWrite(lists('', ' all '), r)).toBe(true);
    }
    expect(canWrite(lists('all,', ''), 'system')).toBe(false);
  });

  it('matches whole tokens only', () => {
    expect(canRead(lists('usersx,', ''), 'users')).toBe(false);
    expect(canRead(lists('system users', ''), 'users')).toBe(false);
  });

  it('validates lists given to adduser', () => {
    expect(findListProblem({ sread: 'all,', swrite: 'devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,', gread: 'all,', gwrite: '3001,3002,' })).toBeUndefined();
    expect(findListProblem({ gread: 'none', gwrite: '' })).toBeUndefined();
    expect(findListProblem({ swrite: 'languages,' })).toMatch(/swrite: unknown resource id "languages"/);
    expect(findListProblem({ gread: '0,' })).toMatch(/gread/);
    expect(findListProblem({ gwrite: '12a,' })).toMatch(/gwrite/);
    expect(findListProblem({ cread: 'anything goes,' })).toBeUndefined();
  });
});
