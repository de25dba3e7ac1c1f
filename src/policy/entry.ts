import type { AttributeDef } from '../protocol/dictionary.js';

/**
 * The one entry model shared by the users-file parser and the SQLite store, so that one
 * evaluator serves both and export/import is lossless.
 */

/** Operators of FreeRADIUS users files (token.c `fr_tokens`). */
export type Operator =
  | '=' | ':=' | '==' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~' | '=*' | '!*' | '+=' | '-=' | '^=';

export const OPERATORS: readonly Operator[] = [
  '=~', '!~', '=*', '!*', '==', '!=', '>=', '<=', ':=', '+=', '-=', '^=', '=', '>', '<',
];

/** How the value was written; decides escapes and %{...} expansion (FreeRADIUS 3.2.1 rules). */
export type Quote = '"' | "'" | '`' | '';

export interface Item {
  attr: AttributeDef;
  op: Operator;
  /** Value in wire form (see `Avp.value`); for regex operators, the pattern's bytes. */
  value: Buffer;
  tag?: number;
  /** The value exactly as written between its quotes (before escapes), for export and trace. */
  text: string;
  quote: Quote;
  /** True when the value contains %{...} to expand per request (double-quoted, 3.2.1 rule). */
  expand: boolean;
  /** Compiled pattern for `=~` / `!~`. */
  regex?: RegExp;
  /**
   * The attribute name as written, when the item was written in a raw form (`Attr-26.9.1`,
   * `Vendor-9-Attr-1`): writing `attr.name` instead would give a different value.
   */
  attrText?: string;
}

export interface Entry {
  /** User name, or 'DEFAULT'. Case-sensitive. */
  name: string;
  isDefault: boolean;
  check: Item[];
  /** Reply items in order, `Fall-Through` excluded. */
  reply: Item[];
  /** `Fall-Through = Yes` in the reply list. */
  fallThrough: boolean;
  /** Where the entry was defined: file and line of its first line, or `sqlite:<db>#<id>`. */
  origin: { file: string; line: number };
}
