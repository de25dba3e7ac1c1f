/**
 * A typed client for the device's HTTP XML API (`POST /engine.htm`). Works against a real
 * Vutlan / Sky-Control device (plain form fields) and against the emulator. Device refusals
 * (`<error type="..."/>`) become DeviceError with `.type` set; `<error type="no error"/>`
 * acknowledges a command.
 */
import { XMLParser } from 'fast-xml-parser';
import { DeviceError, isDeviceErrorType, NO_ERROR } from './errors.js';
import type { PermissionLists } from './permissions.js';
import { sha1Hex } from './user-store.js';

export { DeviceError } from './errors.js';
export type { DeviceErrorType } from './errors.js';

/** A user as the device shows it (`getuser`, `adduser`). */
export interface DeviceUser extends PermissionLists {
  id: number;
  name: string;
}

/** The reply to `auth`: the user, their lists and the session key. */
export interface DeviceLogin extends DeviceUser {
  k: string;
}

/** RADIUS settings as `getradius` shows them (no secret). */
export type DeviceRadius = { enable: false } | { enable: true; addr: string; port: number };

/** Fields of `adduser` (all optional when modifying an existing user by id). */
export interface UserFields extends Partial<PermissionLists> {
  name?: string;
  /** Password hash as the device stores it (SHA-1 hex on real devices). */
  h?: string;
}

/** Thrown when a reply is not the XML the API promises (HTTP error, unknown element). */
export class DeviceProtocolError extends Error {
  constructor(message: string, readonly status?: number, readonly body?: string) {
    super(message);
    this.name = 'DeviceProtocolError';
  }
}

/** Thrown by the DeviceClient constructor for a base URL that is not an http(s) URL. */
export class DeviceUrlError extends Error {
  constructor(readonly url: string) {
    const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? 'use http:// or https://' : `write it with http://, e.g. http://${url}`;
    super(`"${url}" is not a device URL: ${hint}`);
    this.name = 'DeviceUrlError';
  }
}

/** Thrown when no reply came at all: nothing listening, unknown host, unreachable, timed out. */
export class DeviceUnreachableError extends Error {
  constructor(readonly endpoint: string, readonly code: string, why: string) {
    super(`cannot reach ${endpoint}: ${why}`);
    this.name = 'DeviceUnreachableError';
  }
}

const UNREACHABLE_WHY: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the device, or vutlan-device serve, running at that address and port?)',
  ENOTFOUND: 'unknown host name',
  EAI_AGAIN: 'host name lookup failed (try again, or use an IP address)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'timed out',
};

function unreachable(endpoint: string, err: unknown): DeviceUnreachableError {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new DeviceUnreachableError(endpoint, 'ETIMEDOUT', 'no answer in time');
  const code = e.cause?.code ?? '';
  return new DeviceUnreachableError(endpoint, code || 'EFETCH', UNREACHABLE_WHY[code] ?? e.cause?.message ?? e.message ?? String(err));
}

/** An HTTP reply of /engine.htm as received. */
export interface RawReply {
  status: number;
  ok: boolean;
  body: string;
}

/** Options of DeviceClient. */
export interface DeviceClientOptions {
  /** Send JSON (`Content-Type: application/json`) instead of form fields. */
  json?: boolean;
  /** Per-request timeout in ms (default 15000). */
  timeoutMs?: number;
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, trimValues: false, isArray: (name) => name === 'user' });

type XmlAttrs = Record<string, string>;

function toUser(a: XmlAttrs): DeviceUser {
  return {
    id: Number(a.id), name: a.name ?? '',
    sread: a.sread ?? '', swrite: a.swrite ?? '', cread: a.cread ?? '', cwrite: a.cwrite ?? '', gread: a.gread ?? '', gwrite: a.gwrite ?? '',
  };
}

/** Client for one device, e.g. `new DeviceClient('http://192.168.1.88')`. */
export class DeviceClient {
  private readonly endpoint: string;

  /** Throws DeviceUrlError unless `baseUrl` is an http:// or https:// URL. */
  constructor(baseUrl: string, private readonly opts: DeviceClientOptions = {}) {
    if (!/^https?:\/\/[^/]/i.test(baseUrl)) throw new DeviceUrlError(baseUrl);
    try {
      this.endpoint = new URL('engine.htm', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
    } catch {
      throw new DeviceUrlError(baseUrl);
    }
  }

  /**
   * Sends one request as is and returns the HTTP reply, whatever its status or body (what
   * `vutlan-device call` prints). Throws DeviceUnreachableError when no reply came.
   */
  async post(querytype: string, fields: Record<string, string | number | undefined> = {}): Promise<RawReply> {
    const flat: Record<string, string> = { querytype };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) flat[k] = String(v);
    const init: RequestInit = this.opts.json
      ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(flat) }
      : { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(flat).toString() };
    init.signal = AbortSignal.timeout(this.opts.timeoutMs ?? 15_000);
    try {
      const res = await fetch(this.endpoint, init);
      return { status: res.status, ok: res.ok, body: await res.text() };
    } catch (err) {
      throw unreachable(this.endpoint, err);
    }
  }

  /**
   * Sends one request and returns the parsed XML document (root element name -> attributes or
   * children). Throws DeviceError for `<error type="...">` other than "no error",
   * DeviceProtocolError for an HTTP error or a reply that is not the API's XML, and
   * DeviceUnreachableError when no reply came.
   */
  async call(querytype: string, fields: Record<string, string | number | undefined> = {}): Promise<Record<string, unknown>> {
    const res = await this.post(querytype, fields);
    const body = res.body;
    if (!res.ok) throw new DeviceProtocolError(`HTTP ${res.status} from ${this.endpoint}`, res.status, body);
    let doc: Record<string, unknown>;
    try {
      doc = parser.parse(body) as Record<string, unknown>;
    } catch (err) {
      throw new DeviceProtocolError(`reply is not XML: ${(err as Error).message}`, res.status, body);
    }
    const error = doc.error as XmlAttrs | undefined;
    if (error !== undefined) {
      const type = typeof error === 'object' ? error.type ?? '' : '';
      if (type === NO_ERROR) return doc;
      if (isDeviceErrorType(type)) throw new DeviceError(type, type.replace(/ /g, '_'), `device refused ${querytype}: ${type}`);
      throw new DeviceProtocolError(`unknown error type "${type}"`, res.status, body);
    }
    return doc;
  }

  private single(doc: Record<string, unknown>, root: string): XmlAttrs {
    const v = doc[root];
    const el = Array.isArray(v) ? v[0] : v;
    if (el === undefined || typeof el !== 'object' || el === null) throw new DeviceProtocolError(`expected <${root}> in reply`);
    return el as XmlAttrs;
  }

  /** `auth`: logs in with the password hash `h`; returns the user, lists and session key. */
  async auth(name: string, h: string): Promise<DeviceLogin> {
    const a = this.single(await this.call('auth', { name, h }), 'user');
    if (!a.k) throw new DeviceProtocolError('auth reply has no session key');
    return { ...toUser(a), k: a.k };
  }

  /** Logs in with a plain password, hashing it like the device's web page (SHA-1 hex). */
  login(name: string, password: string): Promise<DeviceLogin> {
    return this.auth(name, sha1Hex(password));
  }

  /** `authclose`: ends the session `k`. */
  async authclose(k: string): Promise<void> {
    await this.call('authclose', { k });
  }

  /** `getuser`: one user by id, or every user the session may see. */
  async getUsers(k: string, id?: number): Promise<DeviceUser[]> {
    const doc = await this.call('getuser', { k, id });
    const users = doc.users;
    if (users === undefined) throw new DeviceProtocolError('expected <users> in reply');
    if (users === '' || typeof users !== 'object' || users === null) return [];
    return ((users as { user?: XmlAttrs[] }).user ?? []).map(toUser);
  }

  /** `adduser`: creates a user (no id) or modifies user `id`; returns the stored user. */
  async addUser(k: string, fields: UserFields & { id?: number }): Promise<DeviceUser> {
    return toUser(this.single(await this.call('adduser', { k, ...fields }), 'user'));
  }

  /** `deluser`: blocks user `id` (the device sets Valid = 0). */
  async delUser(k: string, id: number): Promise<void> {
    await this.call('deluser', { k, id });
  }

  /** `setradius`: applies RADIUS settings; the device reboots and every session ends. */
  async setRadius(k: string, s: { enable: boolean; addr?: string; port?: number; secret?: string }): Promise<void> {
    await this.call('setradius', { k, enable: s.enable ? 1 : 0, addr: s.addr, port: s.port, secret: s.secret });
  }

  /** `getradius`: the RADIUS settings (without the secret). */
  async getRadius(k: string): Promise<DeviceRadius> {
    const a = this.single(await this.call('getradius', { k }), 'radius');
    if (a.enable === '1') return { enable: true, addr: a.addr ?? '', port: Number(a.port) };
    return { enable: false };
  }
}
