/**
 * The request handler of `/engine.htm`: fields in, XML out. One function per querytype; the
 * HTTP layer only parses the body and writes the reply.
 *
 * Rules the device manual leaves open, decided here (and stated in the README):
 * - Login looks in the local database first. A Valid=1 row with that Name decides alone (wrong
 *   hash = authorization error, no RADIUS fallback); a blocked (Valid=0) row refuses the name.
 *   Only a name absent from the table goes to RADIUS, when RADIUS is enabled.
 * - A RADIUS session has user id 0 and may not create, edit or delete local users.
 * - `getuser` needs `users` in sread/swrite, except that a user may always read their own
 *   record; without that right and without `id` it lists only the caller.
 * - Session lists are fixed at login; edits apply at the user's next login. `deluser` ends the
 *   deleted user's sessions. `setradius` ends every session (the device reboots).
 * - Nobody grants a right he does not hold himself (in his session's lists, write implying
 *   read), and nobody changes (password, name, lists) or deletes a user who holds a right he does
 *   not: `users` write alone cannot make anyone an admin. `setradius` needs `system` write.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { DeviceError, NO_ERROR } from './errors.js';
import { canRead, canWrite, findListProblem, ListNames, rightNotHeld, type PermissionLists } from './permissions.js';
import { radiusLogin, type RadiusClientOptions, type RadiusLoginResult } from './radius-login.js';
import type { Session, SessionTable } from './sessions.js';
import { NameTakenError, type NewUser, type RadiusSettings, type UserRecord, type UserStore } from './user-store.js';
import { errorXml, radiusXml, userXml, usersXml } from './xml.js';

/** Request fields as received (form or JSON), all strings. */
export type Fields = Record<string, string>;

/** Client-side RADIUS settings that come from the config file, not from the API. */
export interface RadiusTransport {
  timeoutMs: number;
  retries: number;
  messageAuthenticator: boolean;
  requireMessageAuthenticator: boolean;
  bindAddress?: string;
}

/** What a DeviceEngine needs. */
export interface EngineOptions {
  store: UserStore;
  sessions: SessionTable;
  nasIp: string;
  transport: RadiusTransport;
  /** Settings used until `setradius` has been applied once (then the database wins). */
  initialRadius: RadiusSettings;
  log: Logger;
  /** The RADIUS login function (injectable for tests). */
  login?: (user: string, password: string, o: RadiusClientOptions) => Promise<RadiusLoginResult>;
}

function hashEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare equal-length buffers either way, so the time does not depend on where they differ.
  if (x.length !== y.length) { timingSafeEqual(x, x); return false; }
  return timingSafeEqual(x, y);
}

function need(fields: Fields, ...names: string[]): string[] {
  const values = names.map((n) => fields[n]);
  if (values.some((v) => v === undefined || v === '')) throw new DeviceError('some parameters are not specified');
  return values as string[];
}

function parseId(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new DeviceError('error', 'bad_id', `bad user id "${text}"`);
  return Number(text);
}

const NAME_OK = /^[^\u0000-\u001F\u007F]{1,64}$/;

/** Handles `/engine.htm` requests for one emulated device. */
export class DeviceEngine {
  private radius: RadiusSettings;
  private readonly login: NonNullable<EngineOptions['login']>;

  constructor(private readonly o: EngineOptions) {
    this.radius = o.store.radiusSettings() ?? o.initialRadius;
    this.login = o.login ?? radiusLogin;
  }

  /** The RADIUS settings in effect. */
  radiusSettings(): RadiusSettings {
    return { ...this.radius };
  }

  /** Answers one request; device refusals become `<error type="..."/>`, never exceptions. */
  async handle(fields: Fields, remoteAddress: string): Promise<string> {
    const querytype = fields.querytype;
    try {
      switch (querytype) {
        case 'auth': return await this.auth(fields, remoteAddress);
        case 'authclose': return this.authclose(fields);
        case 'getuser': return this.getuser(fields);
        case 'adduser': return this.adduser(fields, remoteAddress);
        case 'deluser': return this.deluser(fields, remoteAddress);
        case 'setradius': return this.setradius(fields, remoteAddress);
        case 'getradius': return this.getradius(fields);
        default: throw new DeviceError('invalid request', querytype ? 'unknown_querytype' : 'missing_querytype');
      }
    } catch (err) {
      if (!(err instanceof DeviceError)) throw err;
      this.o.log.info({ querytype, remote: remoteAddress, type: err.type, reason: err.reason }, 'request refused');
      return errorXml(err.type);
    }
  }

  private session(fields: Fields): Session {
    const key = fields.k;
    if (!key) throw new DeviceError('authorization error', 'no_key');
    const s = this.o.sessions.touch(key);
    if (!s) throw new DeviceError('authorization error', 'unknown_key');
    return s;
  }

  private async auth(fields: Fields, remote: string): Promise<string> {
    const [name, h] = need(fields, 'name', 'h');
    // A name the local table could never hold (control characters such as NUL) is refused before
    // either lookup: "alice\0" is not the blocked local "alice", yet a RADIUS server that cuts
    // names at NUL (FreeRADIUS 3.2) would authenticate it as alice.
    if (!NAME_OK.test(name)) throw new DeviceError('authorization error', 'bad_name');
    const local = this.o.store.findByName(name);
    let opened: Session;
    if (local) {
      if (!local.valid) throw new DeviceError('authorization error', 'user_blocked');
      if (!hashEquals(h, local.pass)) throw new DeviceError('authorization error', 'bad_password');
      opened = this.o.sessions.open({ userId: local.id, name: local.name, source: 'local', lists: pickLists(local), remoteAddress: remote });
    } else {
      if (!this.radius.enable) throw new DeviceError('authorization error', 'unknown_user');
      let r: RadiusLoginResult;
      try {
        r = await this.login(name, h, {
          addr: this.radius.addr, port: this.radius.port, secret: this.radius.secret, nasIp: this.o.nasIp,
          timeoutMs: this.o.transport.timeoutMs, retries: this.o.transport.retries,
          messageAuthenticator: this.o.transport.messageAuthenticator,
          requireMessageAuthenticator: this.o.transport.requireMessageAuthenticator, bindAddress: this.o.transport.bindAddress,
        });
      } catch (err) {
        if (err instanceof DeviceError) throw err;
        throw new DeviceError('authorization error', 'radius_failed', (err as Error).message);
      }
      opened = this.o.sessions.open({ userId: 0, name, source: 'radius', lists: r.lists, remoteAddress: remote });
    }
    this.o.log.info({ user: name, remote, source: opened.source }, 'login');
    return userXml({ id: opened.userId, name: opened.name, ...opened.lists }, opened.key);
  }

  private authclose(fields: Fields): string {
    const s = this.session(fields);
    this.o.sessions.close(s.key);
    return errorXml(NO_ERROR);
  }

  private getuser(fields: Fields): string {
    const s = this.session(fields);
    const mayReadUsers = canRead(s.lists, 'users');
    if (fields.id !== undefined && fields.id !== '') {
      const id = parseId(fields.id);
      if (!mayReadUsers && !(s.source === 'local' && id === s.userId)) throw new DeviceError('access error', 'needs_users_read');
      const u = this.o.store.getValid(id);
      if (!u) throw new DeviceError('error', 'no_such_user');
      return usersXml([u]);
    }
    if (mayReadUsers) return usersXml(this.o.store.listValid());
    const own = s.source === 'local' ? this.o.store.getValid(s.userId) : undefined;
    return usersXml(own ? [own] : []);
  }

  private requireUserAdmin(s: Session): void {
    if (s.source === 'radius') throw new DeviceError('access error', 'radius_user_cannot_manage_users');
    if (!canWrite(s.lists, 'users')) throw new DeviceError('access error', 'needs_users_write');
  }

  /** A user who holds a right the caller does not may not be changed or deleted by him. */
  private requireNotAbove(s: Session, id: number): void {
    const target = this.o.store.getValid(id);
    if (!target) return; // the caller reports no_such_user
    const above = rightNotHeld(s.lists, pickLists(target));
    if (above) throw new DeviceError('access error', 'target_holds_more_rights', `${target.name} holds ${above}`);
  }

  private adduser(fields: Fields, remote: string): string {
    const s = this.session(fields);
    this.requireUserAdmin(s);
    const changes: Partial<NewUser> = {};
    for (const n of ListNames) if (fields[n] !== undefined) changes[n] = fields[n];
    const problem = findListProblem(changes);
    if (problem) throw new DeviceError('error', 'bad_list', problem);
    const notHeld = rightNotHeld(s.lists, changes);
    if (notHeld) throw new DeviceError('access error', 'grants_right_not_held', notHeld);
    if (fields.name !== undefined) {
      if (!NAME_OK.test(fields.name)) throw new DeviceError('error', 'bad_name');
      changes.name = fields.name;
    }
    if (fields.h !== undefined && fields.h !== '') changes.pass = fields.h;
    try {
      let u: UserRecord | undefined;
      if (fields.id !== undefined && fields.id !== '') {
        const id = parseId(fields.id);
        this.requireNotAbove(s, id);
        u = this.o.store.update(id, changes);
        if (!u) throw new DeviceError('error', 'no_such_user');
      } else {
        const [name, h] = need(fields, 'name', 'h');
        const empty = { sread: '', swrite: '', cread: '', cwrite: '', gread: '', gwrite: '' };
        u = this.o.store.insert({ ...empty, ...changes, name, pass: h });
      }
      this.o.log.info({ by: s.name, remote, user: u.name, id: u.id }, fields.id ? 'user modified' : 'user created');
      return userXml(u);
    } catch (err) {
      if (err instanceof NameTakenError) throw new DeviceError('error', 'name_taken');
      throw err;
    }
  }

  private deluser(fields: Fields, remote: string): string {
    const s = this.session(fields);
    this.requireUserAdmin(s);
    const [idText] = need(fields, 'id');
    const id = parseId(idText);
    if (id === s.userId) throw new DeviceError('error', 'self_delete');
    this.requireNotAbove(s, id);
    if (!this.o.store.invalidate(id)) throw new DeviceError('error', 'no_such_user');
    this.o.sessions.endWhere((o) => o.source === 'local' && o.userId === id);
    this.o.log.info({ by: s.name, remote, id }, 'user deleted (Valid = 0)');
    return errorXml(NO_ERROR);
  }

  private setradius(fields: Fields, remote: string): string {
    const s = this.session(fields);
    if (!canWrite(s.lists, 'system')) throw new DeviceError('access error', 'needs_system_write');
    const [enableText] = need(fields, 'enable');
    if (enableText !== '0' && enableText !== '1') throw new DeviceError('error', 'bad_enable');
    const enable = enableText === '1';
    let next: RadiusSettings;
    if (enable) {
      const [addr, portText, secret] = need(fields, 'addr', 'port', 'secret');
      if (!/^[1-9][0-9]{0,4}$/.test(portText) || Number(portText) > 65535) throw new DeviceError('error', 'bad_port');
      if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(addr)) throw new DeviceError('error', 'bad_addr');
      next = { enable, addr, port: Number(portText), secret };
    } else {
      next = { ...this.radius, enable: false };
    }
    this.o.store.saveRadiusSettings(next);
    this.radius = next;
    const ended = this.o.sessions.size;
    this.o.sessions.clear();
    this.o.log.info({ by: s.name, remote, enable, addr: next.addr, port: next.port, sessionsEnded: ended }, 'radius settings applied (reboot)');
    return errorXml(NO_ERROR);
  }

  private getradius(fields: Fields): string {
    const s = this.session(fields);
    if (!canRead(s.lists, 'system')) throw new DeviceError('access error', 'needs_system_read');
    return radiusXml(this.radius);
  }
}

function pickLists(u: PermissionLists): PermissionLists {
  return { sread: u.sread, swrite: u.swrite, cread: u.cread, cwrite: u.cwrite, gread: u.gread, gwrite: u.gwrite };
}
