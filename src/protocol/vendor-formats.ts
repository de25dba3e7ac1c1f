/**
 * Vendor-Specific sub-attribute formats (RFC 2865 5.26 and FreeRADIUS's `format=t,l[,c]`): the
 * one table of vendors with a built-in format, and the type range a format allows.
 */

/** Octets of the sub-attribute type and length fields. */
export type VendorFormat = readonly [typeLength: 1 | 2 | 4, lengthLength: 0 | 1 | 2];

/** Vendors FreeRADIUS gives a format without `format=` (USR, Lucent, Starent); all others 1,1. */
const BUILT_IN: ReadonlyMap<number, VendorFormat> = new Map<number, VendorFormat>([
  [429, [4, 0]],
  [4846, [2, 1]],
  [8164, [2, 2]],
]);

/** The format a vendor has when its VENDOR line gives none. */
export function builtInVendorFormat(vendorId: number): VendorFormat {
  return BUILT_IN.get(vendorId) ?? [1, 1];
}

/** Largest sub-attribute type a type field of `typeLength` octets holds (FreeRADIUS limits 4 to 24 bits). */
export function maxVendorType(typeLength: 1 | 2 | 4): number {
  return typeLength === 1 ? 0xff : typeLength === 2 ? 0xffff : 0xff_ffff;
}
