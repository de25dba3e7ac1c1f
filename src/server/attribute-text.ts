import type { Avp } from '../protocol/attribute.js';
import { quoteForTerminal } from '../protocol/printable.js';
import { formatValue } from '../protocol/values.js';

/**
 * Attributes as text for people and log files: FreeRADIUS print form, strings quoted, and any
 * hidden or secret attribute (User-Password, Tunnel-Password, ...) replaced by `<hidden>`.
 */

/** True for attributes whose value must never be printed or logged. */
export function isSecretAttribute(avp: Avp): boolean {
  return avp.def.flags.encrypt !== 0 || avp.def.flags.secret || (avp.def.vendorId === 0 && (avp.def.type === 3 || avp.def.type === 70));
}

/** The value as printed in a trace line: strings quoted, secrets `<hidden>`. */
export function printValue(avp: Avp): string {
  if (isSecretAttribute(avp)) return '<hidden>';
  const text = formatValue(avp.def, avp.value);
  if (avp.def.dataType === 'string') return quoteForTerminal(text);
  return text;
}

/** `Name = value` (with `:tag` when tagged), as radclient prints it. */
export function printAttribute(avp: Avp): string {
  return `${avp.def.name}${avp.tag ? `:${avp.tag}` : ''} = ${printValue(avp)}`;
}

/**
 * The attributes as a JSON object: name -> formatted value, repeated names -> array of values,
 * secret attributes left out entirely.
 */
export function attributesRecord(attributes: readonly Avp[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const avp of attributes) {
    if (isSecretAttribute(avp)) continue;
    const value = formatValue(avp.def, avp.value);
    const prev = out[avp.def.name];
    if (prev === undefined) out[avp.def.name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[avp.def.name] = [prev, value];
  }
  return out;
}
