/**
 * Text from the network quoted for a terminal or a trace line: JSON string syntax, plus `\u`
 * escapes for what JSON.stringify leaves raw but a terminal acts on (DEL, the C1 controls such
 * as U+009B CSI, and the line/paragraph separators), so a User-Name cannot inject fake lines or
 * ANSI escape sequences into `-X` output.
 */
export function quoteForTerminal(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
