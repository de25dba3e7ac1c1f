/**
 * The human-readable console log (log.pretty) prints messages that can hold text from the
 * network (an ALPN name a TLS client offered, a User-Name): none of it may start a line that
 * looks like a log line of its own or reach the terminal as an escape sequence.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './test-server.js';

describe('pretty console log', () => {
  it('indents continuation lines and escapes ESC, CR, C1 and line separators in messages', () => {
    const logger = join(repoRoot, 'dist/server/logger.js');
    const script = `import { createLogger } from ${JSON.stringify(logger)};
createLogger('info', true).warn({ user: 'x' }, 'offers ALPN evil\\n[2026-01-01 00:00:00.000 +0000] ERROR: forged line\\r\\x1b[2J\\u009b31m\\u2028end');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^\[.+\] WARN: offers ALPN evil$/);
    // the forged record is an indented continuation of the real one
    expect(lines[1]).toBe('    [2026-01-01 00:00:00.000 +0000] ERROR: forged line\\u000d\\u001b[2J\\u009b31m\\u2028end');
    expect(lines.filter((l) => l.startsWith('['))).toHaveLength(1);
    expect(r.stdout).not.toMatch(/[\u001b\r\u009b\u2028]/);
  });
});
