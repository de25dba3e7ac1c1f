/**
 * Text from the network quoted for a terminal or a trace line: JSON string syntax, plus `\u`
 * escapes for what JSON.stringify leaves raw but a terminal acts on (DEL, the C1 controls such
 * as U+009B CSI, and the line/paragraph separators), so a User-Name cannot inject fake lines or
 * ANSI escape sequences into `-X` output.
 */
export function quoteForTerminal(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A log message made safe for a human-readable console line: a line break starts an indented
 * continuation (so no text can pose as a log line of its own), and the other controls a terminal
 * acts on (C0 such as ESC and CR, DEL, C1, the line/paragraph separators) become `\u` escapes.
 */
export function escapeForConsole(text: string): string {
  return text
    .replace(/\r?\n/g, '\n    ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
