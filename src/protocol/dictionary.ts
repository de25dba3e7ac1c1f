/**
 * The in-memory dictionary: attribute and vendor definitions in FreeRADIUS terms.
 * Built by the loader in `dictionary-loader.ts`; read by the codec, the users-file parser and
 * the trace printer. Names are case-insensitive, as in FreeRADIUS.
 */

/** Data types of FreeRADIUS 3.2 dictionaries (aliases are normalised by the loader). */
export type DataType =
  | 'string' | 'octets' | 'ipaddr' | 'ipv6addr' | 'ipv6prefix' | 'ipv4prefix'
  | 'integer' | 'byte' | 'short' | 'integer64' | 'signed' | 'date' | 'ifid' | 'ether'
  | 'abinary' | 'tlv' | 'vsa' | 'extended' | 'long-extended' | 'evs' | 'combo-ip';

export interface AttributeFlags {
  /** 0 none, 1 User-Password hiding, 2 Tunnel-Password, 3 Ascend-Send-Secret. */
  encrypt: 0 | 1 | 2 | 3;
  hasTag: boolean;
  array: boolean;
  concat: boolean;
  virtual: boolean;
  secret: boolean;
  /** `octets[N]`: fixed wire length, else undefined. */
  fixedLength?: number;
}

export interface VendorDef {
  name: string;
  id: number;
  /** Octets of the vendor-type field (1, 2 or 4). */
  typeLength: 1 | 2 | 4;
  /** Octets of the vendor-length field (0, 1 or 2). */
  lengthLength: 0 | 1 | 2;
  continuation: boolean;
}

/**
 * Attributes of RFC 6929 extended space (241..246) live under a synthetic vendor number, as in
 * FreeRADIUS 3: `container * EXTENDED_VENDOR_BASE` (+ the vendor id for Extended-Vendor-Specific).
 * Real IANA enterprise numbers are below this base.
 */
export const EXTENDED_VENDOR_BASE = 0x100_0000;

export interface AttributeDef {
  /** Name as last defined (FreeRADIUS prints the last alias). */
  name: string;
  /**
   * 0 for standard and internal attributes; the IANA enterprise number for VSAs; for RFC 6929
   * extended attributes `container * EXTENDED_VENDOR_BASE (+ EVS vendor)`.
   */
  vendorId: number;
  /**
   * Attribute number: 1..255 on the wire, >= 256 internal (never encoded) when vendorId is 0.
   * TLV children (defined by OID) pack their path as FreeRADIUS does (parent | child << 8 ...).
   */
  type: number;
  dataType: DataType;
  flags: AttributeFlags;
  /** The vendor of a VSA (its wire format), set by the loader; undefined otherwise. */
  vendor?: VendorDef;
  /** VALUE names for integer-like types: lower-cased name -> number. */
  valuesByName: Map<string, number>;
  /** VALUE names for integer-like types: number -> name as written (last definition wins). */
  namesByValue: Map<number, string>;
}

/** A loaded dictionary. Lookups are O(1) and resolved once at load time by callers. */
export class Dictionary {
  private readonly attrsByName = new Map<string, AttributeDef>();
  /** vendorId -> type -> definition; nested so large synthetic vendor ids never collide. */
  private readonly attrsByCode = new Map<number, Map<number, AttributeDef>>();
  /** Standard attributes 0..255 by number: the decoder's hot path. */
  private readonly standard: (AttributeDef | undefined)[] = new Array(256).fill(undefined);
  private readonly vendorsByName = new Map<string, VendorDef>();
  private readonly vendorsById = new Map<number, VendorDef>();

  /** Adds a vendor; a second name for an existing number becomes an alias. */
  addVendor(vendor: VendorDef): void {
    this.vendorsByName.set(vendor.name.toLowerCase(), vendor);
    if (!this.vendorsById.has(vendor.id)) this.vendorsById.set(vendor.id, vendor);
  }

  /**
   * Adds an attribute. A second name for an existing (vendor, number) is an alias that shares the
   * definition; the last name is the one printed, as in FreeRADIUS.
   */
  addAttribute(def: AttributeDef): AttributeDef {
    let byType = this.attrsByCode.get(def.vendorId);
    if (!byType) {
      byType = new Map();
      this.attrsByCode.set(def.vendorId, byType);
    }
    const existing = byType.get(def.type);
    if (existing && existing.dataType === def.dataType) {
      existing.name = def.name;
      this.attrsByName.set(def.name.toLowerCase(), existing);
      return existing;
    }
    byType.set(def.type, def);
    if (def.vendorId === 0 && def.type < 256) this.standard[def.type] = def;
    this.attrsByName.set(def.name.toLowerCase(), def);
    return def;
  }

  /** Attribute by name, case-insensitive. */
  attributeByName(name: string): AttributeDef | undefined {
    return this.attrsByName.get(name.toLowerCase());
  }

  /** Attribute by vendor (0 = standard) and number. */
  attributeByCode(vendorId: number, type: number): AttributeDef | undefined {
    if (vendorId === 0 && type < 256) return this.standard[type];
    return this.attrsByCode.get(vendorId)?.get(type);
  }

  /** Standard attribute 0..255 by number (array index, no hashing). */
  standardAttribute(type: number): AttributeDef | undefined {
    return this.standard[type];
  }

  vendorByName(name: string): VendorDef | undefined {
    return this.vendorsByName.get(name.toLowerCase());
  }

  vendorById(id: number): VendorDef | undefined {
    return this.vendorsById.get(id);
  }

  /** Every distinct attribute definition (aliases once). */
  *attributes(): IterableIterator<AttributeDef> {
    for (const byType of this.attrsByCode.values()) yield* byType.values();
  }

  *vendors(): IterableIterator<VendorDef> {
    yield* this.vendorsById.values();
  }
}

/** Flags with every option off. */
export function noFlags(): AttributeFlags {
  return { encrypt: 0, hasTag: false, array: false, concat: false, virtual: false, secret: false };
}
