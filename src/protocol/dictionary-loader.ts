/**
 * Loader for FreeRADIUS 3.2 format dictionaries (`man 5 dictionary`).
 *
 * Like FreeRADIUS it loads the base set (`dictionaries/freeradius/dictionary`, a copy of
 * share/dictionary 3.2.1) and then the local entry file (raddb/dictionary). Error messages use
 * FreeRADIUS's wording, prefixed with `file:line: `.
 */
import { Attr, AuthTypeValue, DECLARED_ATTRIBUTES } from './attribute-numbers.js';
import { ensureAuthTypeValues } from './auth-type-values.js';
import { readTextFile } from './read-text.js';
import { builtInVendorFormat, maxVendorType } from './vendor-formats.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Dictionary,
  EXTENDED_VENDOR_BASE,
  noFlags,
  type AttributeDef,
  type AttributeFlags,
  type DataType,
  type VendorDef,
} from './dictionary.js';

/** A dictionary that cannot be loaded. `message` is `file:line: what` (FreeRADIUS wording). */
export class DictionaryError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly what: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${what}` : `${file}: ${what}`);
    this.name = 'DictionaryError';
  }
}

/** Options for {@link loadDictionary}. */
export interface LoadDictionaryOptions {
  /** Reads a file's text; throws an errno-style error (`code`) when it cannot. Default fs. */
  readText?: (path: string) => string;
  /** Load the bundled FreeRADIUS base dictionaries first (default true). */
  base?: boolean;
}

/** Absolute path of the bundled FreeRADIUS base dictionary (`dictionaries/freeradius/dictionary`). */
export function bundledDictionaryPath(): string {
  // src/protocol/ and dist/protocol/ are both two levels below the package root.
  return fileURLToPath(new URL('../../dictionaries/freeradius/dictionary', import.meta.url));
}

/**
 * Loads the bundled FreeRADIUS dictionaries (unless `base: false`) and then `entryFile`
 * (e.g. `dictionaries/dictionary`), exactly as FreeRADIUS loads share/dictionary and then
 * raddb/dictionary. Throws {@link DictionaryError} on the first error.
 */
export function loadDictionary(entryFile?: string, opts: LoadDictionaryOptions = {}): Dictionary {
  const loader = new DictionaryLoader(new Dictionary(), opts.readText ?? defaultReadText);
  if (opts.base !== false) loader.loadFile(bundledDictionaryPath());
  if (entryFile !== undefined) loader.loadFile(resolve(entryFile));
  loader.checkDeclared();
  ensureAuthTypeValues(loader.dict);
  return loader.dict;
}

function defaultReadText(path: string): string {
  return readTextFile(path);
}

const TYPE_NAMES: ReadonlyMap<string, DataType> = new Map([
  ['integer', 'integer'], ['string', 'string'], ['ipaddr', 'ipaddr'], ['date', 'date'],
  ['abinary', 'abinary'], ['octets', 'octets'], ['ifid', 'ifid'], ['ipv6addr', 'ipv6addr'],
  ['ipv6prefix', 'ipv6prefix'], ['byte', 'byte'], ['short', 'short'], ['ether', 'ether'],
  ['combo-ip', 'combo-ip'], ['tlv', 'tlv'], ['signed', 'signed'], ['extended', 'extended'],
  ['long-extended', 'long-extended'], ['evs', 'evs'], ['uint8', 'byte'], ['uint16', 'short'],
  ['uint32', 'integer'], ['int32', 'signed'], ['integer64', 'integer64'], ['uint64', 'integer64'],
  ['ipv4prefix', 'ipv4prefix'], ['cidr', 'ipv4prefix'], ['vsa', 'vsa'],
] as [string, DataType][]);

/** Types that may carry VALUE names, with their largest value. */
const VALUE_LIMITS: ReadonlyMap<DataType, number> = new Map([
  // octets: allowed by FreeRADIUS 3.2 for dictionary.cablelabs.
  ['byte', 0xff], ['short', 0xffff], ['integer', 0xffff_ffff], ['octets', 0xffff_ffff],
] as [DataType, number][]);

/** FreeRADIUS's TLV nesting: bit shift and mask of each OID level below the parent. */
const TLV_SHIFT = [0, 8, 16, 24, 29];
const TLV_MASK = [0xff, 0xff, 0xff, 0x1f, 0x07];

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
};

interface BlockVendor {
  vendor: VendorDef;
  /** Synthetic vendor id when `format=Extended-Vendor-Specific-N`, else the vendor's id. */
  vendorId: number;
  evs: boolean;
}

interface Position {
  file: string;
  line: number;
}

/** VALUEs seen before their attribute; applied when it is defined (FreeRADIUS "fixups"). */
interface PendingValue {
  name: string;
  value: number;
  at: Position;
}

class DictionaryLoader {
  private readonly pending = new Map<string, PendingValue[]>();
  private readonly including = new Set<string>();
  /** The last ATTRIBUTE line of each standard (vendor 0) definition, for {@link checkDeclared}. */
  private readonly standardAt = new WeakMap<AttributeDef, Position>();

  constructor(
    readonly dict: Dictionary,
    private readonly readText: (path: string) => string,
  ) {}

  loadFile(path: string, from?: Position, optional = false): void {
    let text: string;
    try {
      text = this.readText(path);
    } catch (err) {
      if (optional) return;
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const why = ERRNO_TEXT[code] ?? (err as Error).message;
      const what = `Couldn't open dictionary "${path}": ${why}`;
      throw from ? new DictionaryError(from.file, from.line, what) : new DictionaryError(path, 0, what);
    }
    if (this.including.has(path)) {
      throw new DictionaryError(from?.file ?? path, from?.line ?? 0, `Cannot $INCLUDE "${path}" recursively`);
    }
    this.including.add(path);
    try {
      this.parse(path, text);
    } finally {
      this.including.delete(path);
    }
  }

  private parse(file: string, text: string): void {
    const lines = text.split('\n');
    const at: Position = { file, line: 0 };
    let block: BlockVendor | undefined;
    const tlvStack: AttributeDef[] = [];
    for (let i = 0; i < lines.length; i++) {
      at.line = i + 1;
      let raw = lines[i]!;
      const hash = raw.indexOf('#');
      if (hash >= 0) raw = raw.slice(0, hash);
      const argv = raw.split(/[ \t\r\f\v]+/).filter((w) => w !== '');
      if (argv.length === 0) continue;
      if (argv.length === 1) this.fail(at, 'invalid entry');
      const keyword = argv[0]!.toUpperCase();
      const args = argv.slice(1);
      switch (keyword) {
        case '$INCLUDE':
        case '$INCLUDE-':
        case '$-INCLUDE': {
          const target = isAbsolute(args[0]!) ? args[0]! : join(dirname(file), args[0]!);
          this.loadFile(target, { ...at }, keyword !== '$INCLUDE');
          break;
        }
        case 'ATTRIBUTE':
          this.attribute(at, args, block, tlvStack[tlvStack.length - 1]);
          break;
        case 'VALUE':
          this.value(at, args);
          break;
        case 'VALUE-ALIAS':
          this.valueAlias(at, args);
          break;
        case 'VENDOR':
          this.vendor(at, args);
          break;
        case 'BEGIN-VENDOR':
          block = this.beginVendor(at, args);
          break;
        case 'END-VENDOR': {
          const vendor = this.dict.vendorByName(args[0]!);
          if (!vendor) this.fail(at, `unknown vendor ${args[0]}`);
          if (!block || block.vendor.id !== vendor.id) {
            this.fail(at, `END-VENDOR ${args[0]} does not match any previous BEGIN-VENDOR`);
          }
          block = undefined;
          break;
        }
        case 'BEGIN-TLV': {
          const parent = this.dict.attributeByName(args[0]!);
          if (!parent) this.fail(at, `unknown attribute ${args[0]}`);
          if (parent.dataType !== 'tlv') this.fail(at, `attribute ${args[0]} is not of type tlv`);
          tlvStack.push(parent);
          break;
        }
        case 'END-TLV': {
          const parent = this.dict.attributeByName(args[0]!);
          if (!parent) this.fail(at, `unknown attribute ${args[0]}`);
          if (tlvStack[tlvStack.length - 1] !== parent) {
            this.fail(at, `END-TLV ${args[0]} does not match any previous BEGIN-TLV`);
          }
          tlvStack.pop();
          break;
        }
        default:
          this.fail(at, `invalid keyword "${argv[0]}"`);
      }
    }
    if (block) this.fail(at, `BEGIN-VENDOR ${block.vendor.name} has no matching END-VENDOR`);
  }

  /**
   * Every attribute the code refers to by number (attribute-numbers.ts) must still be, after the
   * site's dictionaries, the attribute of that name and data type: a site dictionary that puts
   * another attribute or type at one of these numbers is refused at the line that did, as a
   * decoder reading User-Password as an integer would be wrong for every request. An alias (a
   * second name with the same type) is allowed, as FreeRADIUS allows it; an attribute that is
   * not defined at all (a dictionary loaded without the base set) is not checked.
   */
  checkDeclared(): void {
    for (const [key, [name, type]] of Object.entries(DECLARED_ATTRIBUTES)) {
      const number = Attr[key as keyof typeof Attr];
      const byName = this.dict.attributeByName(name);
      const byNumber = this.dict.attributeByCode(0, number);
      if (byNumber && byNumber !== byName) {
        this.fail(this.positionOf(byNumber), `ATTRIBUTE ${byNumber.name} ${number} ${byNumber.dataType} takes the number of ${name}, which this server needs as ${number} ${type}: remove the line or give the attribute another number`);
      }
      if (byName && (byName.vendorId !== 0 || byName.type !== number)) {
        this.fail(this.positionOf(byName), `ATTRIBUTE ${name} must be number ${number} (vendor 0) for this server: remove the line or rename the attribute`);
      }
      if (byName && byName.dataType !== type) {
        this.fail(this.positionOf(byName), `ATTRIBUTE ${name} ${number} is redefined as ${byName.dataType}; this server needs it as ${type}: remove the line`);
      }
    }
    const authType = this.dict.attributeByCode(0, Attr.AuthType);
    for (const [name, value] of Object.entries(AuthTypeValue)) {
      const defined = authType?.valuesByName.get(name.toLowerCase());
      if (defined !== undefined && defined !== value) {
        this.fail(this.positionOf(authType!), `VALUE Auth-Type ${name} must be ${value} for this server, not ${defined}: remove the VALUE line`);
      }
    }
  }

  private positionOf(def: AttributeDef): Position {
    return this.standardAt.get(def) ?? { file: bundledDictionaryPath(), line: 0 };
  }

  private fail(at: Position, what: string): never {
    throw new DictionaryError(at.file, at.line, what);
  }

  private vendor(at: Position, args: string[]): void {
    if (args.length < 2) this.fail(at, 'invalid VENDOR entry');
    const [name, number, format] = args as [string, string, string | undefined];
    const id = parseNumber(number);
    if (id === undefined || id <= 0 || id >= EXTENDED_VENDOR_BASE) this.fail(at, 'invalid value');
    let [typeLength, lengthLength]: [1 | 2 | 4, 0 | 1 | 2] = [...builtInVendorFormat(id)];
    let continuation = false;
    if (format !== undefined) {
      if (!format.toLowerCase().startsWith('format=')) {
        this.fail(at, `Invalid format for VENDOR.  Expected "format=", got "${format}"`);
      }
      const parts = format.slice(7).split(',');
      if (parts.length < 2 || parts.length > 3 || !/^\d$/.test(parts[0]!) || !/^\d$/.test(parts[1]!)) {
        this.fail(at, `Invalid format for VENDOR.  Expected text like "1,1", got "${format.slice(7)}"`);
      }
      const t = Number(parts[0]);
      const l = Number(parts[1]);
      if (t !== 1 && t !== 2 && t !== 4) this.fail(at, `invalid type value ${t} for VENDOR`);
      if (l !== 0 && l !== 1 && l !== 2) this.fail(at, `invalid length value ${l} for VENDOR`);
      if (parts.length === 3) {
        if (parts[2] !== 'c') {
          this.fail(at, `Invalid format for VENDOR.  Expected text like "1,1", got "${format.slice(7)}"`);
        }
        if (t !== 1 || l !== 1) this.fail(at, `Only 'format=1,1' VSAs can have continuations`);
        continuation = true;
      }
      typeLength = t;
      lengthLength = l;
    }
    const existing = this.dict.vendorByName(name);
    if (existing && existing.id !== id) this.fail(at, `dict_addvendor: Duplicate vendor name ${name}`);
    if (existing) {
      // Re-declaring a vendor updates its format, as FreeRADIUS does.
      existing.typeLength = typeLength;
      existing.lengthLength = lengthLength;
      existing.continuation = continuation;
      return;
    }
    const byId = this.dict.vendorById(id);
    if (byId) {
      // A second name for a known number is an alias sharing the definition.
      this.dict.addVendor({ ...byId, name });
      return;
    }
    this.dict.addVendor({ name, id, typeLength, lengthLength, continuation });
  }

  private beginVendor(at: Position, args: string[]): BlockVendor {
    const vendor = this.dict.vendorByName(args[0]!);
    if (!vendor) this.fail(at, `unknown vendor ${args[0]}`);
    const format = args[1];
    if (format === undefined) return { vendor, vendorId: vendor.id, evs: false };
    if (!format.toLowerCase().startsWith('format=')) {
      this.fail(at, `Invalid format for BEGIN-VENDOR: unknown attribute "${format}"`);
    }
    const parentName = format.slice(7);
    const parent = this.dict.attributeByName(parentName);
    if (!parent) this.fail(at, `Invalid format for BEGIN-VENDOR: unknown attribute "${parentName}"`);
    if (parent.dataType !== 'evs') {
      this.fail(at, `Invalid format for BEGIN-VENDOR.  Attribute "${parentName}" is not of "evs" data type`);
    }
    // parent.vendorId is container * EXTENDED_VENDOR_BASE for "241.26".
    return { vendor, vendorId: parent.vendorId + vendor.id, evs: true };
  }

  private attribute(at: Position, args: string[], block: BlockVendor | undefined, tlv: AttributeDef | undefined): void {
    if (args.length < 3 || args.length > 4) this.fail(at, 'invalid ATTRIBUTE line');
    const [name, number, typeText, options] = args as [string, string, string, string | undefined];
    if (name.toLowerCase().startsWith('attr-')) this.fail(at, 'Invalid attribute name');

    const flags: AttributeFlags = noFlags();
    const dataType = this.dataType(at, typeText, flags);

    let vendorName: string | undefined;
    if (options !== undefined) {
      for (const option of options.split(',')) {
        if (option === '') continue;
        const eq = option.indexOf('=');
        const key = eq < 0 ? option : option.slice(0, eq);
        const val = eq < 0 ? '' : option.slice(eq + 1);
        if (key === 'has_tag' || key === 'has_tag=1') flags.hasTag = true;
        else if (key === 'encrypt') {
          if (val !== '1' && val !== '2' && val !== '3') this.fail(at, `unknown option "${option}"`);
          flags.encrypt = Number(val) as 1 | 2 | 3;
          flags.secret = true;
        } else if (key === 'array') flags.array = true;
        else if (key === 'concat') flags.concat = true;
        else if (key === 'virtual') flags.virtual = true;
        else if (key === 'secret') flags.secret = true;
        else if (eq < 0 && this.dict.vendorByName(option)) {
          if (block) this.fail(at, 'Vendor flag inside of "BEGIN-VENDOR" is not allowed');
          vendorName = option;
        } else this.fail(at, `unknown option "${option}"`);
      }
    }

    const { vendorId, type, isOid } = this.attributeNumber(at, number, block, vendorName, tlv);
    if (isOid && vendorName) this.fail(at, 'New-style attributes cannot use a vendor flag');
    this.checkFlags(at, dataType, flags, vendorId, type);

    if (vendorId === 0 && type === 0) this.fail(at, 'dict_addattr: Attribute 0 is invalid and cannot be used');
    const vendor = vendorId > 0 && vendorId < EXTENDED_VENDOR_BASE ? this.dict.vendorById(vendorId) : undefined;
    if (vendor && !isOid) {
      const max = maxVendorType(vendor.typeLength);
      if (type > max) this.fail(at, `dict_addattr: ATTRIBUTE has invalid number (larger than ${max})`);
    }
    if (dataType === 'tlv' && vendor && (vendor.typeLength !== 1 || vendor.lengthLength !== 1)) {
      this.fail(at, 'Type "tlv" can only be for "format=1,1".');
    }

    const existing = this.dict.attributeByName(name);
    if (existing && (existing.vendorId !== vendorId || existing.type !== type)) {
      this.fail(at, `dict_addattr: Duplicate attribute name ${name}`);
    }
    const def = this.dict.addAttribute({
      name,
      vendorId,
      type,
      dataType,
      flags,
      ...(vendor ? { vendor } : {}),
      valuesByName: new Map(),
      namesByValue: new Map(),
    });
    if (vendorId === 0) this.standardAt.set(def, { ...at });
    const waiting = this.pending.get(name.toLowerCase());
    if (waiting) {
      this.pending.delete(name.toLowerCase());
      for (const p of waiting) this.addValue(p.at, def, p.name, p.value, true);
    }
  }

  private dataType(at: Position, text: string, flags: AttributeFlags): DataType {
    const bracket = text.indexOf('[');
    if (bracket >= 0) {
      const base = text.slice(0, bracket).toLowerCase();
      if (base !== 'octets') this.fail(at, `invalid type "${text}"`);
      const close = text.indexOf(']', bracket);
      if (close < 0 || close !== text.length - 1) this.fail(at, 'Invalid format for octets');
      const length = /^\d+$/.test(text.slice(bracket + 1, close)) ? Number(text.slice(bracket + 1, close)) : 0;
      if (length < 1 || length > 253) this.fail(at, 'invalid length');
      flags.fixedLength = length;
      return 'octets';
    }
    const type = TYPE_NAMES.get(text.toLowerCase());
    if (!type) this.fail(at, `invalid type "${text}"`);
    return type;
  }

  /** FreeRADIUS's per-flag validations (dict.c process_attribute). */
  private checkFlags(at: Position, dataType: DataType, flags: AttributeFlags, vendorId: number, type: number): void {
    if (flags.encrypt === 1) {
      if (dataType === 'octets' && flags.fixedLength === undefined) {
        this.fail(at, `The "encrypt=1" flag MUST be used with an explicit length for 'octets' data types`);
      }
      if (dataType !== 'string' && dataType !== 'octets') {
        this.fail(at, 'The "encrypt=1" flag cannot be used with non-string data types');
      }
    }
    if (flags.encrypt === 3 && dataType !== 'string') {
      this.fail(at, 'Only "string" types can have the "encrypt=3" flag set');
    }
    if (flags.hasTag && dataType !== 'string' && dataType !== 'integer') {
      this.fail(at, `Attributes of type ${dataType} cannot be tagged.`);
    }
    if (flags.array) {
      const ok = ['ipaddr', 'ipv6addr', 'byte', 'short', 'integer', 'date', 'string'];
      if (!ok.includes(dataType)) this.fail(at, `"${dataType}" type cannot have the "array" flag set`);
    }
    if (flags.concat) {
      if (dataType !== 'octets') this.fail(at, 'Only "octets" type can have the "concat" flag set');
      if (flags.encrypt || flags.hasTag || flags.array || flags.virtual || flags.fixedLength !== undefined) {
        this.fail(at, 'The "concat" flag cannot be used with any other flag');
      }
    }
    if (flags.virtual && (vendorId !== 0 || type < 256)) {
      this.fail(at, 'Standard attributes cannot have the "virtual" flag set');
    }
  }

  /**
   * Resolves the number column: a plain number (standard, 4th-column vendor or BEGIN-VENDOR
   * block) or an OID (`26.V.T`, `241.N`, `241.26.V.T`, `P.C` inside a vendor block).
   */
  private attributeNumber(
    at: Position,
    text: string,
    block: BlockVendor | undefined,
    vendorName: string | undefined,
    tlv: AttributeDef | undefined,
  ): { vendorId: number; type: number; isOid: boolean } {
    const parts = text.split('.');
    const nums = parts.map((p) => parseNumber(p));
    const bad = parts.findIndex((_, i) => nums[i] === undefined);
    if (bad >= 0) this.fail(at, `Invalid attribute identifier: Invalid data '${parts[bad]}' in attribute identifier`);
    const n = nums as number[];
    const outOfRange = (v: number): never =>
      this.fail(at, `Invalid attribute identifier: Number '${v}' out of allowed range in attribute identifier`);

    if (tlv) {
      // Old-style BEGIN-TLV block: plain numbers are children of the TLV.
      if (n.length !== 1) this.fail(at, 'Invalid attribute identifier: OIDs are not allowed inside BEGIN-TLV');
      return { vendorId: tlv.vendorId, type: this.tlvChild(at, tlv.type, n[0]!), isOid: true };
    }

    if (block) {
      const maxType = block.evs ? 0xff : maxVendorType(block.vendor.typeLength);
      if (n[0]! > maxType) outOfRange(n[0]!);
      if (n.length === 1) return { vendorId: block.vendorId, type: n[0]!, isOid: false };
      return { vendorId: block.vendorId, type: this.tlvPath(at, block.vendorId, n), isOid: true };
    }

    if (n.length === 1) {
      const vendorId = vendorName ? this.dict.vendorByName(vendorName)!.id : 0;
      return { vendorId, type: n[0]!, isOid: false };
    }

    const first = n[0]!;
    if (first === 26) {
      if (n.length < 3) this.fail(at, 'Invalid attribute identifier: Vendor-Specific OIDs need a vendor and a type');
      const vendor = this.dict.vendorById(n[1]!);
      if (!vendor) this.fail(at, `Parent attribute for ${n[1]} is undefined.`);
      const rest = n.slice(2);
      if (rest[0]! > maxVendorType(vendor.typeLength)) outOfRange(rest[0]!);
      return { vendorId: vendor.id, type: rest.length === 1 ? rest[0]! : this.tlvPath(at, vendor.id, rest), isOid: true };
    }
    if (first >= 241 && first <= 246) {
      const container = this.dict.attributeByCode(0, first);
      if (!container) this.fail(at, `Parent attribute for ${first} is undefined.`);
      const base = first * EXTENDED_VENDOR_BASE;
      if (n[1]! > 255) outOfRange(n[1]!);
      if (n[1] === 26 && n.length >= 4) {
        // Extended-Vendor-Specific: 241.26.V.T
        const vendorId = base + n[2]!;
        if (n[3]! > 255) outOfRange(n[3]!);
        const rest = n.slice(3);
        return { vendorId, type: rest.length === 1 ? rest[0]! : this.tlvPath(at, vendorId, rest), isOid: true };
      }
      if (n.length === 2 && n[1] === 26) return { vendorId: base, type: 26, isOid: true };
      const rest = n.slice(1);
      return { vendorId: base, type: rest.length === 1 ? rest[0]! : this.tlvPath(at, base, rest), isOid: true };
    }
    const parent = this.dict.attributeByCode(0, first);
    if (!parent || parent.dataType !== 'tlv') this.fail(at, 'Invalid attribute identifier: Standard attributes cannot use OIDs');
    return { vendorId: 0, type: this.tlvPath(at, 0, n), isOid: true };
  }

  /** Packs an OID path below a vendor (or 0) into FreeRADIUS's TLV number; parents must exist. */
  private tlvPath(at: Position, vendorId: number, path: number[]): number {
    let type = path[0]!;
    for (let depth = 1; depth < path.length; depth++) {
      const parent = this.dict.attributeByCode(vendorId, type);
      if (!parent) this.fail(at, `Parent attribute for ${path.slice(0, depth).join('.')} is undefined.`);
      if (parent.dataType !== 'tlv') this.fail(at, `Parent attribute ${parent.name} is not of type tlv`);
      type = this.tlvChildAt(at, type, path[depth]!, depth);
    }
    return type;
  }

  private tlvChild(at: Position, parentType: number, child: number): number {
    let depth = 1;
    while (depth < TLV_SHIFT.length && Math.floor(parentType / 2 ** TLV_SHIFT[depth]!) !== 0) depth++;
    return this.tlvChildAt(at, parentType, child, depth);
  }

  private tlvChildAt(at: Position, parentType: number, child: number, depth: number): number {
    if (depth >= TLV_SHIFT.length || child === 0 || child > TLV_MASK[depth]!) {
      this.fail(at, `Invalid attribute identifier: Number '${child}' out of allowed range in attribute identifier`);
    }
    return parentType + child * 2 ** TLV_SHIFT[depth]!;
  }

  private value(at: Position, args: string[]): void {
    if (args.length !== 3) this.fail(at, 'invalid VALUE line');
    const [attrName, name, number] = args as [string, string, string];
    const value = parseNumber(number);
    if (value === undefined) this.fail(at, 'invalid value');
    const def = this.dict.attributeByName(attrName);
    if (!def) {
      // Defined later (or never): kept as a fixup, as FreeRADIUS does.
      const key = attrName.toLowerCase();
      const list = this.pending.get(key) ?? [];
      list.push({ name, value, at: { ...at } });
      this.pending.set(key, list);
      return;
    }
    this.addValue(at, def, name, value, false);
  }

  private addValue(at: Position, def: AttributeDef, name: string, value: number, fixup: boolean): void {
    const limit = VALUE_LIMITS.get(def.dataType);
    if (limit === undefined) {
      if (fixup) return; // FreeRADIUS silently drops fixups for types without VALUEs.
      this.fail(at, `dict_addvalue: VALUEs cannot be defined for attributes of type '${def.dataType}'`);
    }
    if (value > limit) {
      if (def.dataType === 'byte' || def.dataType === 'short') {
        this.fail(at, `dict_addvalue: ATTRIBUTEs of type '${def.dataType}' cannot have VALUEs larger than ${limit}`);
      }
      this.fail(at, 'invalid value');
    }
    const key = name.toLowerCase();
    const old = def.valuesByName.get(key);
    if (old !== undefined && old !== value) {
      this.fail(at, `dict_addvalue: Duplicate value name ${name} for attribute ${def.name}`);
    }
    def.valuesByName.set(key, value);
    def.namesByValue.set(value, name);
  }

  private valueAlias(at: Position, args: string[]): void {
    if (args.length !== 2) this.fail(at, 'invalid VALUE-ALIAS line');
    const target = this.dict.attributeByName(args[0]!);
    // FreeRADIUS names the second argument in this message.
    if (!target) this.fail(at, `ATTRIBUTE "${args[1]}" does not exist`);
    const source = this.dict.attributeByName(args[1]!);
    if (!source) this.fail(at, `Cannot find ATTRIBUTE "${args[1]}" for alias`);
    if (source.dataType !== target.dataType) {
      this.fail(at, 'Cannot add VALUE-ALIAS between attributes of differing type');
    }
    for (const [value, name] of source.namesByValue) {
      if (!target.valuesByName.has(name.toLowerCase())) {
        target.valuesByName.set(name.toLowerCase(), value);
        target.namesByValue.set(value, name);
      }
    }
    for (const [key, value] of source.valuesByName) {
      if (!target.valuesByName.has(key)) target.valuesByName.set(key, value);
    }
  }
}

/** Decimal or 0x-hex, non-negative, safe integer; undefined otherwise. */
function parseNumber(text: string): number | undefined {
  let n: number;
  if (/^[0-9]+$/.test(text)) n = Number(text);
  else if (/^0[xX][0-9a-fA-F]+$/.test(text)) n = Number.parseInt(text.slice(2), 16);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}
