import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ClientConfig, MessageAuthenticatorPolicy } from './config.js';
import type { ConfigProblem } from './config-error.js';

/**
 * Reader for FreeRADIUS `clients.conf` (3.2 syntax): `client NAME { key = value ... }` sections,
 * old-style names that are addresses, nested sections (`limit { }`), `clients GROUP { client ... }`
 * groups, `#` comments, single/double quotes with FreeRADIUS escapes (`\n \t \r \\ \" \NNN`),
 * and `$INCLUDE file-or-directory`. Errors use FreeRADIUS's wording, as `file:line: message`.
 */

/** Options: where file text comes from (tests, change watching). */
export interface ClientsConfOptions {
  readText?: (path: string) => string;
  /** Lists a directory for `$INCLUDE dir/` (default fs.readdirSync); also marks it as read. */
  listDir?: (path: string) => string[];
}

/** Result: clients in file order, errors (the file is unusable if any) and warnings. */
export interface ClientsConfResult {
  clients: ClientConfig[];
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

interface Token {
  kind: 'word' | 'string' | '{' | '}' | '=' | 'eol';
  text: string;
  file: string;
  line: number;
}

interface Pair {
  key: string;
  value: string;
  quoted: boolean;
  file: string;
  line: number;
}

interface Section {
  name1: string;
  name2?: string;
  file: string;
  line: number;
  pairs: Pair[];
  sections: Section[];
}

/** Keys of a FreeRADIUS client section that we accept (many only matter to FreeRADIUS itself). */
const KNOWN_CLIENT_KEYS = new Set([
  'ipaddr', 'ipv4addr', 'ipv6addr', 'netmask', 'secret', 'shortname', 'nas_type', 'nastype', 'proto',
  'require_message_authenticator', 'limit_proxy_state', 'virtual_server', 'coa_server', 'response_window',
  'login', 'password', 'src_ipaddr', 'protocol_error', 'dynamic_clients', 'lifetime', 'track_connections',
]);

/** Parses a clients.conf file; never throws for content problems (see `errors`). */
export function parseClientsConf(path: string, opts: ClientsConfOptions = {}): ClientsConfResult {
  const readText = opts.readText ?? ((p: string) => readFileSync(p, 'utf8'));
  const listDir = opts.listDir ?? ((p: string) => readdirSync(p));
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const tokens: Token[] = [];
  tokenizeFile(resolve(path), readText, listDir, tokens, errors, 0);
  if (errors.length > 0) return { clients: [], errors, warnings };

  const top: Section = { name1: '', file: path, line: 0, pairs: [], sections: [] };
  const pos = { i: 0 };
  parseBody(tokens, pos, top, true, errors);
  if (errors.length > 0) return { clients: [], errors, warnings };

  for (const p of top.pairs) {
    warnings.push({ file: p.file, line: p.line, message: `"${p.key}" outside a client section is ignored` });
  }
  const clients: ClientConfig[] = [];
  const visit = (sections: Section[]) => {
    for (const s of sections) {
      if (s.name1 === 'client') {
        const c = clientFromSection(s, errors, warnings);
        if (c) clients.push(c);
      } else if (s.name1 === 'clients') {
        visit(s.sections);
      } else {
        errors.push({ file: s.file, line: s.line, message: `Unexpected section "${s.name1}": only "client NAME { ... }" sections belong in clients.conf` });
      }
    }
  };
  visit(top.sections);
  return { clients, errors, warnings };
}

function clientFromSection(s: Section, errors: ConfigProblem[], warnings: ConfigProblem[]): ClientConfig | undefined {
  const where = { file: s.file, line: s.line };
  const name = s.name2;
  if (name === undefined) {
    errors.push({ ...where, message: 'client section needs a name: client NAME { ... }' });
    return undefined;
  }
  const values = new Map<string, Pair>();
  for (const p of s.pairs) {
    const key = p.key.toLowerCase();
    if (!KNOWN_CLIENT_KEYS.has(key)) {
      warnings.push({ file: p.file, line: p.line, message: `client ${name}: unknown item "${p.key}" ignored (FreeRADIUS ignores it too; check the spelling)` });
    }
    values.set(key, p);
  }
  const errorCount = errors.length;
  const fail = (message: string) => errors.push({ ...where, message });

  const addrPair = values.get('ipv6addr') ?? values.get('ipaddr') ?? values.get('ipv4addr');
  let address: string;
  if (addrPair) {
    address = addrPair.value;
    const family = addrPair.key.toLowerCase();
    if (family === 'ipv4addr' && address.includes(':')) fail(`Failed parsing configuration item "ipv4addr" - "${address}" is not an IPv4 address`);
    if (family === 'ipv6addr' && !address.includes(':')) fail(`Failed parsing configuration item "ipv6addr" - "${address}" is not an IPv6 address`);
  } else {
    address = name;
    if (values.has('proto')) fail(`Cannot use "proto" inside of old-style client definition ${name}`);
    warnings.push({ ...where, message: `No 'ipaddr' or 'ipv4addr' or 'ipv6addr' field found in client ${name}. Please fix your configuration` });
  }
  const netmask = values.get('netmask');
  if (netmask) {
    if (address.includes('/')) {
      fail("Clients cannot use 'ipaddr/mask' and 'netmask' at the same time.");
    } else if (!/^\d{1,3}$/.test(netmask.value)) {
      fail(`Failed parsing configuration item "netmask" - "${netmask.value}" is not a prefix length`);
    } else {
      address = `${address}/${netmask.value}`;
    }
  }
  const secret = values.get('secret')?.value ?? '';
  // digests use the secret up to its first NUL (strlen), as FreeRADIUS does
  const secretText = secret.includes('\0') ? secret.slice(0, secret.indexOf('\0')) : secret;
  if (secretText.length === 0) fail('secret must be at least 1 character long');

  let policy: MessageAuthenticatorPolicy = 'auto';
  const rma = values.get('require_message_authenticator');
  if (rma) {
    const v = rma.value.toLowerCase();
    if (['yes', 'true', 'on', '1'].includes(v)) policy = 'yes';
    else if (['no', 'false', 'off', '0'].includes(v)) policy = 'no';
    else if (v === 'auto') policy = 'auto';
    else fail(`Invalid value "${rma.value}" for require_message_authenticator: use yes, no or auto`);
  }
  const proto = values.get('proto')?.value.toLowerCase();
  if (proto && proto !== 'udp' && proto !== '*') {
    warnings.push({ ...where, message: `client ${name}: proto = ${proto}: vutlan-radius serves UDP only` });
  }
  if (errors.length > errorCount) {
    errors.push({ ...where, message: 'Error parsing client section' });
    return undefined;
  }
  const shortname = values.get('shortname')?.value;
  const nasType = values.get('nas_type')?.value ?? values.get('nastype')?.value;
  return {
    name: shortname && shortname.length > 0 ? shortname : name,
    address,
    secret: secretText,
    requireMessageAuthenticator: policy,
    ...(nasType !== undefined ? { nasType } : {}),
    origin: where,
  };
}

function parseBody(tokens: Token[], pos: { i: number }, into: Section, top: boolean, errors: ConfigProblem[]): void {
  for (;;) {
    const t = tokens[pos.i];
    if (!t) {
      if (!top) errors.push({ file: into.file, line: into.line, message: `Missing closing brace for section "${into.name1}"` });
      return;
    }
    if (t.kind === 'eol') { pos.i++; continue; }
    if (t.kind === '}') {
      pos.i++;
      if (top) { errors.push({ file: t.file, line: t.line, message: 'Too many closing braces' }); continue; }
      return;
    }
    if (t.kind !== 'word') {
      errors.push({ file: t.file, line: t.line, message: `Syntax error: expected a name, got "${t.text}"` });
      skipLine(tokens, pos);
      continue;
    }
    pos.i++;
    const next = tokens[pos.i];
    if (next?.kind === '=') {
      pos.i++;
      const v = tokens[pos.i];
      if (!v || v.kind === 'eol' || v.kind === '{' || v.kind === '}') {
        errors.push({ file: t.file, line: t.line, message: `Syntax error: no value for "${t.text}"` });
        skipLine(tokens, pos);
        continue;
      }
      pos.i++;
      into.pairs.push({ key: t.text, value: v.text, quoted: v.kind === 'string', file: t.file, line: t.line });
      const after = tokens[pos.i];
      if (after && after.kind !== 'eol' && after.kind !== '}') {
        // the rest of an unquoted secret is still the secret: say where, never what
        const unexpected = isSecretKey(t.text) ? 'more text' : `"${after.text}"`;
        errors.push({ file: after.file, line: after.line, message: `Syntax error: unexpected ${unexpected} after the value of "${t.text}"${isSecretKey(t.text) ? ' (quote a secret that holds spaces: secret = "...")' : ''}` });
        skipLine(tokens, pos);
      }
      continue;
    }
    let name2: string | undefined;
    let open = next;
    if (next && (next.kind === 'word' || next.kind === 'string')) {
      name2 = next.text;
      pos.i++;
      open = tokens[pos.i];
    }
    if (open?.kind !== '{') {
      errors.push({ file: t.file, line: t.line, message: `Syntax error: expected "=" or "{" after "${t.text}"` });
      skipLine(tokens, pos);
      continue;
    }
    pos.i++;
    const section: Section = { name1: t.text, file: t.file, line: t.line, pairs: [], sections: [], ...(name2 !== undefined ? { name2 } : {}) };
    parseBody(tokens, pos, section, false, errors);
    into.sections.push(section);
  }
}

function skipLine(tokens: Token[], pos: { i: number }): void {
  while (pos.i < tokens.length && tokens[pos.i]!.kind !== 'eol') pos.i++;
}

const MAX_INCLUDE_DEPTH = 16;

function tokenizeFile(
  file: string,
  readText: (p: string) => string,
  listDir: (p: string) => string[],
  out: Token[],
  errors: ConfigProblem[],
  depth: number,
): void {
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    errors.push({ file, line: 0, message: `Unable to open file "${file}": ${(err as Error).message}` });
    return;
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    const trimmed = raw.trim();
    if (/^\$INCLUDE\b/i.test(trimmed)) {
      const target = trimmed.slice('$INCLUDE'.length).trim().replace(/^["']|["']$/g, '');
      if (target === '') { errors.push({ file, line, message: '$INCLUDE needs a file name' }); return; }
      if (depth >= MAX_INCLUDE_DEPTH) { errors.push({ file, line, message: `$INCLUDE nested too deeply (more than ${MAX_INCLUDE_DEPTH})` }); return; }
      const full = isAbsolute(target) ? target : join(dirname(file), target);
      if (target.endsWith('/') || isDirectory(full)) {
        let names: string[];
        try {
          names = listDir(full);
        } catch (err) {
          errors.push({ file, line, message: `Unable to open directory "${full}": ${(err as Error).message}` });
          return;
        }
        // FreeRADIUS skips dotfiles and editor backups in included directories
        for (const n of names.filter((n) => !n.startsWith('.') && !n.endsWith('~')).sort()) {
          tokenizeFile(join(full, n), readText, listDir, out, errors, depth + 1);
        }
      } else {
        tokenizeFile(full, readText, listDir, out, errors, depth + 1);
      }
      return;
    }
    tokenizeLine(raw, file, line, out, errors);
    out.push({ kind: 'eol', text: '', file, line });
  });
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function tokenizeLine(raw: string, file: string, line: number, out: Token[], errors: ConfigProblem[]): void {
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '#') return;
    if (c === '{' || c === '}' || c === '=') {
      out.push({ kind: c, text: c, file, line });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      let closed = false;
      while (j < raw.length) {
        const d = raw[j]!;
        if (d === c) { closed = true; j++; break; }
        if (d === '\\' && j + 1 < raw.length) {
          const e = raw[j + 1]!;
          const octal = /^[0-7]{3}/.exec(raw.slice(j + 1, j + 4));
          if (e === 'n') value += '\n';
          else if (e === 'r') value += '\r';
          else if (e === 't') value += '\t';
          else if (octal) { value += String.fromCharCode(parseInt(octal[0], 8)); j += 2; }
          else value += e;
          j += 2;
          continue;
        }
        value += d;
        j++;
      }
      if (!closed) {
        errors.push({ file, line, message: 'Syntax error: unterminated string (missing closing quote)' });
        return;
      }
      out.push({ kind: 'string', text: value, file, line });
      i = j;
      continue;
    }
    let j = i;
    while (j < raw.length && !' \t{}='.includes(raw[j]!) && !(raw[j] === '#' && j === i)) j++;
    const word = raw.slice(i, j);
    if (word.includes('${')) {
      const shown = /^\s*secret\s*=/i.test(raw) ? '$' + '{...}' : word;
      errors.push({ file, line, message: `Variable references like "${shown}" are not supported in clients.conf here; write the value itself` });
    }
    out.push({ kind: 'word', text: word, file, line });
    i = j;
  }
}

/** A key whose value is a shared secret: no message ever quotes its text. */
function isSecretKey(key: string): boolean {
  return key.toLowerCase() === 'secret';
}
