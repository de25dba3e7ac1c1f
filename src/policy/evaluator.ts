import type { Avp } from '../protocol/attribute.js';
import { Attr, AuthTypeValue } from '../protocol/attribute-numbers.js';
import { ipv6ToBytes } from '../protocol/ip-address.js';
import type { AttributeDef, Dictionary } from '../protocol/dictionary.js';
import { ValueError, formatValue, inetAton, parseValue, readUnsigned } from '../protocol/values.js';
import type { Entry, Item, Operator } from './entry.js';
import { compareValues, regexSubject, sameAttr } from './compare.js';
import { type ExpandContext, type Template, compileExpansion, expandTemplate } from './expand.js';
import { type MergeItem, mergeControl, mergeReply } from './merge.js';
import { type RegexTarget, compileRegex, octetsPattern, regexTarget } from './regex.js';
import { filterRejectReply } from './reject-filter.js';
import { isSecretAttribute } from './secret-attributes.js';
import { quoteForTerminal } from '../protocol/printable.js';
import { USER_NAME_PROBLEM_TEXT, controlCharacterOffset, filterUserName } from './username-filter.js';
import type { AuthorizeModule, ModuleContext } from './module.js';
import {
  type PasswordCheck, type PasswordFailure, isKnownGoodPasswordAttr, knownGoodPassword, normalizeControl, verifyChap, verifyPap,
} from './passwords/index.js';

/**
 * Decides an Access-Request the way FreeRADIUS 3.2.1 does with its default site and the
 * `files` module (FreeRADIUS 3.2 rlm_files and src/main/pair.c; test/diff compares the answers):
 *
 *   authorize:    filter_username -> preprocess -> chap -> files -> pap
 *   authenticate: Auth-Type (Reject wins, else the last one): Accept | PAP | CHAP
 *   post-auth:    Access-Reject keeps only the attributes attr_filter.access_reject allows
 *   finish:       control Response-Packet-Type (Do-Not-Respond: no reply at all)
 *
 * `files` is the users-file algorithm: the user's entries and the DEFAULT entries in file
 * order; check items are compared with the REQUEST list only; the first match wins unless its
 * reply has Fall-Through = Yes; each match merges its reply items into the reply (mergeReply)
 * and its check items into the control list (mergeControl).
 *
 * Not modelled (documented differences): realms (suffix), EAP, MS-CHAP, digest, the hints and
 * huntgroups files, expiration / logintime and module comparison functions (Huntgroup-Name,
 * Group, Current-Time, ...): check items on those attributes compare against the request, which
 * never has them, so they do not match.
 *
 * The hot path allocates little: entries without expansions keep ready-made reply and control
 * items (a precomputed merge kept per reply list, shared by the entries with the same reply), no
 * trace text is built unless a trace sink is given.
 */

/** What the evaluator needs from a received Access-Request. */
export interface AuthRequest {
  /** Request attributes in wire order (User-Password may still be hidden; see userPassword). */
  attributes: readonly Avp[];
  /** Source address of the packet (IPv4 or IPv6 text); preprocess adds it as NAS-IP-Address. */
  srcAddress: string;
  /** The revealed User-Password, when the request has one. Never logged. */
  userPassword?: Buffer;
  /** Request Authenticator: the CHAP challenge when there is no CHAP-Challenge. */
  requestAuthenticator: Buffer;
  /** When the request arrived (Unix seconds): preprocess adds it as Event-Timestamp. Default: now. */
  receivedAt?: number;
}

/**
 * Where entries come from: for a user name, that user's entries and DEFAULTs in order. The
 * stores' `UserSource` (src/store/source.ts) is one; the evaluator asks nothing else of them.
 */
export interface EntrySource {
  lookup(userName: string): Iterable<Entry>;
}

/** Stable reasons, for logs, metrics and tests. */
export type DecisionReason =
  | 'accepted'               // password verified (PAP or CHAP)
  | 'auth_type_accept'       // Auth-Type := Accept
  | 'no_matching_entry'      // no users entry matched (so no password, no Auth-Type)
  | 'no_password'            // matched, but no usable known-good password / no password in the request
  | 'wrong_password'         // the password check failed
  | 'auth_type_reject'       // Auth-Type := Reject
  | 'invalid_user_name'      // filter_username rejected the User-Name
  | 'user_name_control_character' // User-Name holds NUL or another control character
  | 'unsupported_auth_type'  // Auth-Type names a method this server does not implement
  | 'store_error'            // an authorize module (sql) failed: unparsable row, database unreachable
  | 'unsupported_scheme'     // the stored password's scheme is not computed here (bcrypt, yescrypt)
  | 'do_not_respond';        // Response-Packet-Type := Do-Not-Respond

/** The answer to send. */
export interface Decision {
  code: 'accept' | 'reject' | 'no-response';
  /** Reply attributes in order (for a reject, already filtered). May hold internal attributes
   *  (vendor 0, number > 255), which the encoder never sends. Proxy-State is the encoder's job. */
  reply: Avp[];
  reason: DecisionReason;
  /** Password scheme used (`Cleartext-Password`, `CHAP`, ...), when one was tried. */
  scheme?: string;
  /** Why the password check failed (passwords module code), when it did. */
  passwordFailure?: PasswordFailure;
  /** One line in FreeRADIUS's words explaining a reject; never contains secrets. */
  detail?: string;
  /** Entries that matched, in order. */
  matched: Entry[];
  /** The final control list (holds password attributes: never log values). */
  control: Avp[];
}

/** Receives trace lines (serve -X). Only called when given. */
export type TraceSink = (line: string) => void;

/** Result of the users-file step alone. */
export interface AuthorizeResult {
  matched: Entry[];
  control: Avp[];
  reply: Avp[];
}

// Values of Service-Type and Response-Packet-Type used below (Auth-Type's: AuthTypeValue).
const FRAMED_USER = 2;
const DO_NOT_RESPOND = 256;

/** Server-side check items skipped by paircompare whatever their operator. */
function skippedInCompare(def: AttributeDef): boolean {
  if (def.vendorId !== 0) return false;
  const t = def.type;
  return t === Attr.CryptPassword || t === Attr.AuthType || t === Attr.AutzType || t === Attr.AcctType || t === Attr.SessionType ||
    t === Attr.StripUserName;
}

function isStd(def: AttributeDef, type: number): boolean {
  return def.vendorId === 0 && def.type === type;
}

function findStd(list: readonly Avp[], type: number): Avp | undefined {
  for (const a of list) if (a.def.vendorId === 0 && a.def.type === type) return a;
  return undefined;
}

function show(def: AttributeDef, value: Buffer): string {
  if (isSecretAttribute(def)) return '<hidden>';
  const text = formatValue(def, value);
  return def.dataType === 'string' ? quoteForTerminal(text) : text;
}

function showItem(item: Item): string {
  const tag = item.tag !== undefined ? `:${item.tag}` : '';
  const value = item.op === '=*' || item.op === '!*' ? 'ANY'
    : isSecretAttribute(item.attr) ? '<hidden>'
    : item.quote ? `${item.quote}${item.text}${item.quote}` : item.text;
  return `${item.attr.name}${tag} ${item.op} ${value}`;
}

function where(e: Entry): string {
  return `${e.origin.file}:${e.origin.line}`;
}

/**
 * Work done once per reply list: its items when none needs expansion, and what merging them into
 * an empty list gives (the common case: the first entry that matches), so that case is a copy
 * instead of a merge. Kept beside the list (a WeakMap), never on it: lists and items may be
 * shared and are treated as immutable. Keyed by the list, not the entry: a users file shares one
 * reply list between all entries that write the same items, so a million users with a few
 * permission profiles keep a few of these, not a million (which grew the heap with every new
 * user seen and made every young-generation collection slower).
 */
interface PreparedReply {
  staticReply?: MergeItem[];
  /** mergeReply([], staticReply). */
  replyAlone?: readonly Avp[];
}

const preparedReplies = new WeakMap<readonly Item[], PreparedReply>();
const templates = new WeakMap<Item, Template>();

/** The Avp an item adds to a list, with `value` (the item's own, or its expansion). */
function itemAvp(item: Item, value: Buffer = item.value): Avp {
  return item.tag !== undefined ? { def: item.attr, value, tag: item.tag } : { def: item.attr, value };
}

function prepareReply(reply: readonly Item[]): PreparedReply {
  let p = preparedReplies.get(reply);
  if (p) return p;
  p = {};
  if (!reply.some((i) => i.expand)) {
    p.staticReply = reply.map((i) => ({ op: i.op, avp: itemAvp(i) }));
    p.replyAlone = mergeReply([], p.staticReply).slice();
  }
  preparedReplies.set(reply, p);
  return p;
}

function isControlOp(op: Operator): boolean {
  return op === '=' || op === ':=' || op === '+=' || op === '^=';
}

/** The state one request carries through the users file. */
interface Run {
  dict: Dictionary;
  request: Avp[];
  reply: Avp[];
  control: Avp[];
  captures: (string | undefined)[];
  trace?: TraceSink;
}

function ctxOf(run: Run): ExpandContext {
  return { request: run.request, reply: run.reply, control: run.control, captures: run.captures, dict: run.dict };
}

/**
 * Expands an item marked for expansion and converts the result like `radius_xlat_do`
 * (fr_pair_value_from_str: double-quote escapes again, then the type). Undefined when the
 * result does not convert (FreeRADIUS then skips the item).
 */
function expandItem(run: Run, item: Item): Buffer | undefined {
  let t = templates.get(item);
  if (!t) {
    t = compileExpansion(item.value.toString('utf8'), run.dict);
    templates.set(item, t);
  }
  const text = expandTemplate(t, ctxOf(run));
  if (item.op === '=~' || item.op === '!~') return Buffer.from(text, 'utf8');
  try {
    return parseValue(item.attr, text, '"');
  } catch (e) {
    if (e instanceof ValueError) {
      run.trace?.(`    expansion of ${item.attr.name} gave ${isSecretAttribute(item.attr) ? '"<hidden>"' : quoteForTerminal(text)}: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}

/** `paircompare`: does every check item hold for the request? Returns the failing item, or undefined. */
function checkFails(run: Run, entry: Entry, values: readonly (Buffer | undefined)[]): { item: Item; why: string } | undefined {
  const { request } = run;
  for (let k = 0; k < entry.check.length; k++) {
    const item = entry.check[k]!;
    const op = item.op;
    if (op === ':=' || op === '+=') continue;
    const def = item.attr;
    if (skippedInCompare(def)) continue;
    if (isStd(def, Attr.UserPassword) && !findStd(request, Attr.UserPassword)) continue;

    let any = false;
    let ok = false;
    for (const avp of request) {
      if (!sameAttr(avp.def, def)) continue;
      any = true;
      if (op === '!*') break;
      if (op === '=*') { ok = true; break; }
      if (op === '=~' || op === '!~') {
        const target = regexTarget(def.dataType);
        if (target === 'never') {
          // FreeRADIUS 3.2.1 matches a pointer's print, never the value: see regexTarget
          if (op === '!~') { ok = true; break; }
          continue;
        }
        const re = item.regex ?? regexOf(run, item, values[k], target);
        if (!re) return { item, why: 'pattern does not compile' };
        const m = re.exec(regexSubject(avp));
        if (op === '=~') {
          if (m) {
            for (let g = 0; g <= 8; g++) run.captures[g] = m[g];
            ok = true;
            break;
          }
        } else if (!m) { ok = true; break; }
        continue;
      }
      const value = values[k] ?? item.value;
      const rc = compareValues(def, avp.value, avp.tag, value, item.tag);
      let holds: boolean;
      switch (op) {
        case '!=': holds = rc !== 0; break;
        case '<': holds = rc < 0; break;
        case '>': holds = rc > 0; break;
        case '<=': holds = rc <= 0; break;
        case '>=': holds = rc >= 0; break;
        default: holds = rc === 0; // '==', and '=' '-=' '^=' revert to '=='
      }
      if (holds) { ok = true; break; }
    }
    if (!any) {
      if (op === '!*') continue;
      return { item, why: 'the request has no such attribute' };
    }
    if (op === '!*') return { item, why: 'the request has the attribute' };
    if (!ok) {
      if (!run.trace) return { item, why: '' };
      const have = request.filter((a) => sameAttr(a.def, def)).map((a) => show(a.def, a.value)).join(', ');
      return { item, why: `the request has ${have}` };
    }
  }
  return undefined;
}

function regexOf(run: Run, item: Item, expanded: Buffer | undefined, target: RegexTarget): RegExp | undefined {
  try {
    const pattern = (expanded ?? item.value).toString('utf8');
    return compileRegex(target === 'octets-hex' ? octetsPattern(pattern) : pattern);
  } catch (e) {
    run.trace?.(`    ${item.attr.name} ${item.op}: ${(e as Error).message}`);
    return undefined;
  }
}

const NO_VALUES: readonly (Buffer | undefined)[] = [];
const NO_MODULES: readonly AuthorizeModule[] = [];

/**
 * The users-file step (rlm_files `file_common`) over `entries` (that user's entries and DEFAULTs
 * in file order). Updates run.reply / run.control and appends the matched entries to `matched`;
 * returns false when a match without Fall-Through ended the step.
 */
function runFiles(run: Run, entries: Iterable<Entry>, matched: Entry[]): boolean {
  for (const entry of entries) {
    const prep = prepareReply(entry.reply);
    // Check items are expanded before comparing (and are what moves to the control list).
    // Check lists hold the user's password, so they are not shared: nothing is kept per list.
    const checkExpands = entry.check.some((i) => i.expand);
    let values: readonly (Buffer | undefined)[] = NO_VALUES;
    let skip = false;
    if (checkExpands) {
      values = entry.check.map((i) => (i.expand ? expandItem(run, i) : undefined));
      skip = entry.check.some((i, k) => i.expand && values[k] === undefined);
    }
    if (skip) {
      run.trace?.(`  ${where(entry)} ${entry.name}: skipped, a check item did not expand to a valid value`);
      continue;
    }
    const fail = checkFails(run, entry, values);
    if (fail) {
      run.trace?.(`  ${where(entry)} ${entry.name}: no match, ${showItem(fail.item)} fails: ${fail.why}`);
      continue;
    }
    matched.push(entry);
    run.trace?.(`  ${where(entry)} ${entry.name}: matched${entry.fallThrough ? ', Fall-Through = Yes' : ''}`);

    if (prep.replyAlone && run.reply.length === 0) run.reply = prep.replyAlone.slice();
    else run.reply = mergeReply(run.reply, prep.staticReply ?? expandedReply(run, entry));

    const controlItems: MergeItem[] = [];
    for (let k = 0; k < entry.check.length; k++) {
      const item = entry.check[k]!;
      if (!isControlOp(item.op)) continue;
      controlItems.push({ op: item.op, avp: itemAvp(item, values[k]) });
    }
    run.control = mergeControl(run.control, controlItems);
    if (!entry.fallThrough) return false;
  }
  return true;
}

/** An entry's reply items with their expansions; items that expand to nothing are left out. */
function expandedReply(run: Run, entry: Entry): MergeItem[] {
  const items: MergeItem[] = [];
  for (const item of entry.reply) {
    // Items expand in order during the merge; each sees the reply as it was before the entry.
    const value = item.expand ? expandItem(run, item) : item.value;
    if (value !== undefined) items.push({ op: item.op, avp: itemAvp(item, value) });
  }
  return items;
}

function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return (z < 0 ? b : b.subarray(0, z)).toString('utf8');
}

/** The sources' entries for `key` as one list, in order (no generator: most are arrays). */
function runSources(run: Run, sources: readonly EntrySource[], key: string): Entry[] {
  const matched: Entry[] = [];
  for (let i = 0; i < sources.length; i++) if (!runFiles(run, sources[i]!.lookup(key), matched)) break;
  return matched;
}

/**
 * The users-file step alone: runs `entries` against the request list `request` (as given, no
 * preprocess) with an empty reply and the given control list.
 */
export function authorize(
  request: readonly Avp[], entries: Iterable<Entry>, dict: Dictionary, trace?: TraceSink, control: readonly Avp[] = [],
): AuthorizeResult {
  const run: Run = { dict, request: request as Avp[], reply: [], control: control as Avp[], captures: [], ...(trace ? { trace } : {}) };
  const matched: Entry[] = [];
  runFiles(run, entries, matched);
  return { matched, control: run.control, reply: run.reply };
}

function stdDef(dict: Dictionary, type: number, name: string): AttributeDef {
  const def = dict.attributeByCode(0, type);
  if (!def) throw new Error(`dictionary has no ${name} (attribute ${type})`);
  return def;
}

/** Definitions (and ready-made Avps) the evaluator adds to lists, resolved once per dictionary. */
interface StdDefs {
  serviceType?: AttributeDef;
  eventTimestamp?: AttributeDef;
  nasIpv6Address?: AttributeDef;
  nasIpAddress?: AttributeDef;
  chapChallenge?: AttributeDef;
  /** Auth-Type = PAP / CHAP (the dictionary's dynamic values added). Avps are never mutated. */
  authPap?: Avp;
  authChap?: Avp;
}

const stdDefsOf = new WeakMap<Dictionary, StdDefs>();

function stdDefs(dict: Dictionary): StdDefs {
  let d = stdDefsOf.get(dict);
  if (!d) {
    d = {};
    stdDefsOf.set(dict, d);
  }
  return d;
}

/** preprocess (rlm_preprocess authorize with the default configuration) on the request list. */
function preprocess(dict: Dictionary, request: Avp[], req: AuthRequest, trace?: TraceSink): void {
  // "Event-Timestamp can be used consistently instead of one letter expansions" (rlm_preprocess)
  if (!findStd(request, Attr.EventTimestamp)) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE((req.receivedAt ?? Math.floor(Date.now() / 1000)) >>> 0, 0);
    const defs = stdDefs(dict);
    request.push({ def: defs.eventTimestamp ??= stdDef(dict, Attr.EventTimestamp, 'Event-Timestamp'), value: v });
    trace?.('preprocess: added Event-Timestamp (request time)');
  }
  const userName = findStd(request, Attr.UserName);
  if (userName && userName.value.length > 0 && findStd(request, Attr.FramedProtocol) && !findStd(request, Attr.ServiceType)) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(FRAMED_USER, 0);
    const defs = stdDefs(dict);
    request.push({ def: defs.serviceType ??= stdDef(dict, Attr.ServiceType, 'Service-Type'), value: v });
    trace?.('preprocess: added Service-Type = Framed-User (Framed-Protocol without Service-Type)');
  }
  const src = req.srcAddress.startsWith('::ffff:') && req.srcAddress.includes('.') ? req.srcAddress.slice(7) : req.srcAddress;
  if (src.includes(':')) {
    if (!findStd(request, Attr.NasIpv6Address)) {
      const v = ipv6ToBytes(src.replace(/%.*$/, ''));
      if (v) {
        const defs = stdDefs(dict);
        request.push({ def: defs.nasIpv6Address ??= stdDef(dict, Attr.NasIpv6Address, 'NAS-IPv6-Address'), value: v });
        trace?.(`preprocess: added NAS-IPv6-Address = ${src} (packet source)`);
      }
    }
  } else if (!findStd(request, Attr.NasIpAddress)) {
    const n = inetAton(src);
    if (n !== undefined) {
      const v = Buffer.alloc(4);
      v.writeUInt32BE(n, 0);
      const defs = stdDefs(dict);
      request.push({ def: defs.nasIpAddress ??= stdDef(dict, Attr.NasIpAddress, 'NAS-IP-Address'), value: v });
      trace?.(`preprocess: added NAS-IP-Address = ${src} (packet source)`);
    }
  }
  if (findStd(request, Attr.ChapPassword) && !findStd(request, Attr.ChapChallenge)) {
    const defs = stdDefs(dict);
    request.push({ def: defs.chapChallenge ??= stdDef(dict, Attr.ChapChallenge, 'CHAP-Challenge'), value: req.requestAuthenticator });
  }
}

/** Auth-Type = PAP / CHAP for this dictionary (values the loader added): resolved once, not per request. */
function authTypeAvp(dict: Dictionary, name: 'PAP' | 'CHAP'): Avp {
  const defs = stdDefs(dict);
  const cached = name === 'PAP' ? defs.authPap : defs.authChap;
  if (cached) return cached;
  const def = stdDef(dict, Attr.AuthType, 'Auth-Type');
  const v = Buffer.alloc(4);
  v.writeUInt32BE(def.valuesByName.get(name === 'PAP' ? 'pap' : 'chap')!, 0);
  const avp: Avp = { def, value: v };
  if (name === 'PAP') defs.authPap = avp;
  else defs.authChap = avp;
  return avp;
}

function authTypeName(avp: Avp): string {
  const n = readUnsigned(avp.def, avp.value) ?? -1;
  return avp.def.namesByValue.get(n) ?? String(n);
}

/** The decision with its trace lines. */
function decide(
  code: Decision['code'], reason: DecisionReason, reply: Avp[], matched: Entry[], control: Avp[],
  extra: Partial<Decision> | undefined, trace: TraceSink | undefined,
): Decision {
  const d: Decision = extra ? { code, reply, reason, matched, control, ...extra } : { code, reply, reason, matched, control };
  if (trace) {
    const what = code === 'accept' ? 'Access-Accept' : code === 'reject' ? 'Access-Reject' : 'no reply';
    trace(`result: ${what} (${reason}${d.detail ? `: ${d.detail}` : ''})`);
    for (const a of reply) trace(`  reply: ${a.def.name}${a.tag !== undefined ? `:${a.tag}` : ''} = ${show(a.def, a.value)}`);
  }
  return d;
}

/** What the last step needs of a request that got through authorize. */
interface Finish {
  reply: Avp[];
  matched: Entry[];
  control: Avp[];
  userName: Avp | undefined;
  trace: TraceSink | undefined;
}

/** Response-Packet-Type overrides the outcome at the end; then the reject filter. */
function finishDecision(f: Finish, code: 'accept' | 'reject', reason: DecisionReason, extra?: Partial<Decision>): Decision {
  const { reply, matched, control, userName, trace } = f;
  const rpt = findStd(control, Attr.ResponsePacketType);
  if (rpt) {
    const n = readUnsigned(rpt.def, rpt.value);
    if (n === DO_NOT_RESPOND) return decide('no-response', 'do_not_respond', [], matched, control, extra, trace);
    if (n === 2) code = 'accept';
    else if (n === 3) code = 'reject';
    return decide(code, reason, reply, matched, control, extra, trace);
  }
  // attr_filter.access_reject is keyed on %{User-Name}: with no (or an empty) User-Name the
  // key is empty and the module does nothing, so the reply goes out unfiltered.
  const filtered = code === 'reject' && userName !== undefined && userName.value.length > 0;
  return decide(code, reason, filtered ? filterRejectReply(reply) : reply, matched, control, extra, trace);
}

/**
 * Decides one Access-Request: authorize (filter_username, preprocess, chap, files, pap), then
 * authenticate by Auth-Type, then the reject filter and Response-Packet-Type. `sources` are asked
 * in order with the lookup key (User-Name up to its first NUL, or "NONE"); their entries are
 * treated as one list. `trace`, when given, receives readable lines for `serve -X`.
 */
export function authorizeAndAuthenticate(
  req: AuthRequest, sources: readonly EntrySource[], dict: Dictionary, trace?: TraceSink,
  modules: readonly AuthorizeModule[] = NO_MODULES,
): Decision {
  return evaluate(req, sources, dict, trace, modules, undefined) as Decision;
}

/**
 * A PAP check the caller runs itself (off the event loop): the known-good password attribute, the
 * request's password, and `resume`, which turns the check's result into the decision exactly as
 * {@link authorizeAndAuthenticate} would have.
 */
export interface PendingPasswordCheck {
  known: Avp;
  password: Buffer;
  resume(check: PasswordCheck): Decision;
}

/**
 * {@link authorizeAndAuthenticate}, except that a PAP check whose known-good password `isSlow`
 * says is slow (PBKDF2, SHA-crypt) is not computed: it comes back as `pending` for the caller.
 */
export function authorizeAndAuthenticateDeferred(
  req: AuthRequest, sources: readonly EntrySource[], dict: Dictionary, trace: TraceSink | undefined,
  isSlow: (known: Avp) => boolean, modules: readonly AuthorizeModule[] = NO_MODULES,
): Decision | { code: 'pending'; pending: PendingPasswordCheck } {
  return evaluate(req, sources, dict, trace, modules, isSlow);
}

function evaluate(
  req: AuthRequest, sources: readonly EntrySource[], dict: Dictionary, trace: TraceSink | undefined,
  modules: readonly AuthorizeModule[], isSlow: ((known: Avp) => boolean) | undefined,
): Decision | { code: 'pending'; pending: PendingPasswordCheck } {
  const request: Avp[] = [];
  for (const a of req.attributes) {
    if (req.userPassword && a.value !== req.userPassword && isStd(a.def, Attr.UserPassword)) request.push({ def: a.def, value: req.userPassword });
    else request.push(a);
  }

  // filter_username
  const userName = findStd(request, Attr.UserName);
  if (userName) {
    // before the lookup key is cut at the first NUL as FreeRADIUS does
    const at = controlCharacterOffset(userName.value);
    if (at >= 0) {
      const detail = `User-Name contains control character 0x${userName.value[at]!.toString(16).padStart(2, '0')} at octet ${at}`;
      trace?.(`User-Name check: rejected, ${detail}`);
      return decide('reject', 'user_name_control_character', [], [], [], { detail }, trace);
    }
  }
  // the lookup key: User-Name up to its first NUL
  const key = userName ? cString(userName.value) : 'NONE';
  if (userName) {
    const problem = filterUserName(key);
    if (problem) {
      const detail = USER_NAME_PROBLEM_TEXT[problem];
      trace?.(`filter_username: ${detail}`);
      return decide('reject', 'invalid_user_name', [], [], [], { detail }, trace);
    }
  }

  preprocess(dict, request, req, trace);

  // chap authorize
  let control: Avp[] = [];
  const chapPassword = findStd(request, Attr.ChapPassword);
  if (chapPassword) {
    control.push(authTypeAvp(dict, 'CHAP'));
    trace?.('chap: CHAP-Password present, Auth-Type = CHAP');
  }

  // files
  trace?.(`files: looking up ${quoteForTerminal(key)}`);
  const run: Run = { dict, request, reply: [], control, captures: [], trace };
  const matched = runSources(run, sources, key);
  if (matched.length === 0) trace?.('files: no entry matched');
  let reply = run.reply;
  control = run.control;

  // modules after files (-sql)
  let moduleFound = false;
  if (modules.length > 0) {
    const mctx: ModuleContext = {
      dict, request, reply, control,
      compare: (items) => {
        const fail = checkFails(run, { check: items as Item[] } as Entry, NO_VALUES);
        return fail ? `${showItem(fail.item)}: ${fail.why || 'does not hold'}` : undefined;
      },
      ...(trace ? { trace } : {}),
    };
    for (const m of modules) {
      const r = m.authorize(mctx, key);
      if (r.code === 'fail') {
        trace?.(`${m.name}: fail${r.detail ? `: ${r.detail}` : ''}`);
        return finishDecision({ reply: mctx.reply, matched, control: mctx.control, userName, trace }, 'reject', 'store_error',
          { detail: `${m.name}: ${r.detail ?? 'failed'}` });
      }
      if (r.code === 'ok' || r.code === 'noop') moduleFound = true;
    }
    reply = mctx.reply;
    control = mctx.control;
  }

  // pap authorize
  // 3.2.1's pap authorize does not count a PBKDF2-Password written as such as a known-good
  // password (one converted from Password-With-Header counts) - measured.
  const hasKnownGood = control.some((a) =>
    (isKnownGoodPasswordAttr(a.def) && !isStd(a.def, Attr.Pbkdf2Password)) || isStd(a.def, Attr.PasswordWithHeader));
  control = normalizeControl(control, dict);
  const userPassword = findStd(request, Attr.UserPassword);
  if (hasKnownGood && !findStd(control, Attr.AuthType) && userPassword) {
    control.push(authTypeAvp(dict, 'PAP'));
    trace?.('pap: known good password found, Auth-Type = PAP');
  } else if (trace && !hasKnownGood) {
    trace('pap: no "known good" password found for the user');
  }

  const ctx: Finish = { reply, matched, control, userName, trace };

  // rad_check_password
  let last: Avp | undefined;
  for (const a of control) {
    if (!isStd(a.def, Attr.AuthType)) continue;
    last = a;
    if (readUnsigned(a.def, a.value) === AuthTypeValue.Reject) {
      trace?.('auth: Auth-Type = Reject, rejecting the user');
      return finishDecision(ctx, 'reject', 'auth_type_reject');
    }
  }
  if (!last) {
    const detail = 'No Auth-Type found: rejecting the user via Post-Auth-Type = Reject';
    return finishDecision(ctx, 'reject', matched.length === 0 && !moduleFound ? 'no_matching_entry' : 'no_password', { detail });
  }
  const authType = readUnsigned(last.def, last.value);
  if (authType === AuthTypeValue.Accept) {
    trace?.('auth: Auth-Type = Accept, accepting the user');
    return finishDecision(ctx, 'accept', 'auth_type_accept');
  }
  const method = authTypeName(last);
  let check: PasswordCheck;
  if (method === 'PAP') {
    if (!userPassword) {
      return finishDecision(ctx, 'reject', 'no_password', { detail: "Auth-Type = PAP for a request that does not contain a User-Password attribute" });
    }
    const known = isSlow && userPassword.value.length > 0 ? knownGoodPassword(control) : undefined;
    if (known && isSlow!(known)) {
      return { code: 'pending', pending: { known, password: userPassword.value, resume: (c) => concludeCheck(ctx, method, c) } };
    }
    check = verifyPap(control, userPassword.value);
  } else if (method === 'CHAP') {
    if (!chapPassword) return finishDecision(ctx, 'reject', 'no_password', { detail: 'Auth-Type = CHAP for a request without CHAP-Password' });
    if (!userName) return finishDecision(ctx, 'reject', 'no_password', { detail: '&request:User-Name attribute is required for authentication' });
    const challenge = findStd(request, Attr.ChapChallenge)?.value ?? req.requestAuthenticator;
    check = verifyChap(control, chapPassword.value, challenge);
  } else {
    return finishDecision(ctx, 'reject', 'unsupported_auth_type', { detail: `Auth-Type ${method} is not supported by vutlan-radius` });
  }
  return concludeCheck(ctx, method, check);
}

/** The decision after the password check of `method`. */
function concludeCheck(ctx: Finish, method: string, check: PasswordCheck): Decision {
  const { trace } = ctx;
  trace?.(`auth: ${method} with ${check.scheme}: ${check.ok ? 'ok' : `failed (${check.detail ?? check.reason})`}`);
  if (check.ok) return finishDecision(ctx, 'accept', 'accepted', { scheme: check.scheme });
  const reason: DecisionReason = check.reason === 'no_password' ? 'no_password'
    : check.reason === 'unsupported_scheme' ? 'unsupported_scheme' : 'wrong_password';
  return finishDecision(ctx, 'reject', reason, {
    scheme: check.scheme,
    ...(check.reason ? { passwordFailure: check.reason } : {}),
    ...(check.detail ? { detail: check.detail } : {}),
  });
}
