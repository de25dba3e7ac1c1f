/**
 * `%{expr:...}`: the integer calculator of FreeRADIUS 3.2.1's rlm_expr (`get_expression`,
 * `get_number`, `calc_result` in src/modules/rlm_expr/rlm_expr.c), transcribed so its quirks give
 * the same answers:
 *
 * - signed 64-bit arithmetic that wraps; `+ - * / % & | ^ << >>`, `^` is the power;
 * - precedence: `& |` lowest, then `<< >>`, then `+ -`, then `* / %`, then `^`; equal precedence
 *   groups to the left;
 * - a number is decimal digits, `0x` hex (strtoul: saturates), `(expr)`, or `&Attribute` (0 when
 *   the request has none); `~` and `-` before a number invert or negate it (`-` is not allowed
 *   before `0x`);
 * - division or remainder by zero, a shift above 63, a power above 63 or of a base above 65535,
 *   text after the expression: the expansion fails (gives nothing); a negative power (undefined
 *   behaviour in the C code) fails too.
 */

/** Reads an attribute for `&Name`: its value as a signed 64-bit number, 0n when absent, undefined on error. */
export type ExprAttributeReader = (name: string) => bigint | undefined;

type Op = 'none' | 'and' | 'or' | 'lshift' | 'rshift' | 'add' | 'sub' | 'div' | 'rem' | 'mul' | 'pow';

const PRECEDENCE: Record<Op, number> = {
  none: 0, and: 1, or: 1, lshift: 2, rshift: 2, add: 3, sub: 3, div: 4, rem: 4, mul: 4, pow: 5,
};

const ONE_CHAR: Record<string, Op> = { '+': 'add', '-': 'sub', '/': 'div', '*': 'mul', '%': 'rem', '&': 'and', '|': 'or', '^': 'pow' };

const wrap = (x: bigint): bigint => BigInt.asIntN(64, x);
const ULONG_MAX = (1n << 64n) - 1n;

/** C isspace() for the ASCII range. */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Attribute reference after `&` (a second `&`, list qualifier, name, tag, index): what tmpl parsing reads. */
const ATTRIBUTE_REF = /^&?(?:(?:request|reply|control|config):)?[A-Za-z0-9\-._/]+(?::[0-9]+)?(?:\[[0-9]+\])?/;

class Calculator {
  pos = 0;
  constructor(private readonly s: string, private readonly attribute: ExprAttributeReader) {}

  number(): bigint | undefined {
    const s = this.s;
    let p = this.pos;
    let invert = false;
    let negative = false;
    let x: bigint;
    while (isSpace(s[p])) p++;
    if (s[p] === '~') { invert = true; p++; }
    if (s[p] === '0' && s[p + 1] === 'x') {
      // strtoul(p, &end, 16): "0x" then hex digits; without any, only the "0" is read
      const m = /^0x([0-9a-fA-F]+)/.exec(s.slice(p));
      if (m) {
        const v = BigInt(`0x${m[1]}`);
        x = wrap(v > ULONG_MAX ? ULONG_MAX : v);
        p += m[0].length;
      } else {
        x = 0n;
        p += 1;
      }
      return this.done(x, invert, negative, p);
    }
    if (s[p] === '-') { negative = true; p++; }
    if (s[p] === '&') {
      p++;
      const m = ATTRIBUTE_REF.exec(s.slice(p));
      if (!m) return undefined;
      const v = this.attribute(m[0]);
      if (v === undefined) return undefined;
      return this.done(v, invert, negative, p + m[0].length);
    }
    if (s[p] === '(') {
      this.pos = p + 1;
      const inner = this.expression('none');
      if (inner === undefined) return undefined;
      if (s[this.pos] !== ')') return undefined;
      return this.done(inner, invert, negative, this.pos + 1);
    }
    while (isSpace(s[p])) p++;
    if (!isDigit(s[p])) return undefined;
    x = 0n;
    while (isDigit(s[p])) {
      x = wrap(x * 10n + BigInt(s.charCodeAt(p) - 48));
      p++;
    }
    return this.done(x, invert, negative, p);
  }

  private done(x: bigint, invert: boolean, negative: boolean, p: number): bigint {
    let v = x;
    if (invert) v = wrap(~v);
    if (negative) v = wrap(-v);
    this.pos = p;
    return v;
  }

  operator(): Op | undefined {
    const c = this.s[this.pos];
    if (c !== undefined && ONE_CHAR[c]) { this.pos++; return ONE_CHAR[c]; }
    const two = this.s.slice(this.pos, this.pos + 2);
    if (two === '<<') { this.pos += 2; return 'lshift'; }
    if (two === '>>') { this.pos += 2; return 'rshift'; }
    return undefined;
  }

  expression(prev: Op): bigint | undefined {
    let lhs = this.number();
    if (lhs === undefined) return undefined;
    for (;;) {
      while (isSpace(this.s[this.pos])) this.pos++;
      if (this.pos >= this.s.length || this.s[this.pos] === ')') return lhs;
      const at = this.pos;
      const op = this.operator();
      if (op === undefined) return undefined;
      if (PRECEDENCE[op] <= PRECEDENCE[prev]) {
        this.pos = at;
        return lhs;
      }
      const rhs = this.expression(op);
      if (rhs === undefined) return undefined;
      const r = calc(lhs, op, rhs);
      if (r === undefined) return undefined;
      lhs = r;
    }
  }
}

function calc(lhs: bigint, op: Op, rhs: bigint): bigint | undefined {
  switch (op) {
    case 'sub': return wrap(lhs - rhs);
    case 'div': return rhs === 0n ? undefined : wrap(lhs / rhs);
    case 'rem': return rhs === 0n ? undefined : lhs % rhs;
    case 'mul': return wrap(lhs * rhs);
    // a negative count passes FreeRADIUS's check; the x86-64 shift then uses its low 6 bits
    case 'lshift': return rhs > 63n ? undefined : wrap(lhs << (rhs & 63n));
    case 'rshift': return rhs > 63n ? undefined : lhs >> (rhs & 63n);
    case 'and': return lhs & rhs;
    case 'or': return lhs | rhs;
    case 'pow':
      if (rhs > 63n || rhs < 0n || lhs > 65535n) return undefined;
      return power(lhs, rhs);
    default: return wrap(lhs + rhs);
  }
}

/** base^exp in wrapping 64-bit arithmetic (fr_pow for 0 <= exp <= 63). */
function power(base: bigint, exp: bigint): bigint {
  let result = 1n;
  for (let i = 0n; i < exp; i++) result = wrap(result * base);
  return result;
}

/** Evaluates `text` like `%{expr:text}`: the decimal result, or undefined when FreeRADIUS's expansion fails. */
export function evaluateExpr(text: string, attribute: ExprAttributeReader): string | undefined {
  const calc = new Calculator(text, attribute);
  const v = calc.expression('none');
  if (v === undefined || calc.pos < text.length) return undefined;
  return v.toString();
}
