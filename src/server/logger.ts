import pino from 'pino';
import pretty from 'pino-pretty';
import { escapeForConsole } from '../protocol/printable.js';
import type { LogLevel } from './config.js';

/**
 * The server's structured log: pino JSON lines on stdout, or human-readable lines (pino-pretty)
 * when stdout is a terminal or `log.pretty` says so. At `info` nothing is written per request;
 * per-request lines are `debug`. Secrets and passwords are never passed to it.
 */
export function createLogger(level: LogLevel, prettyOutput?: boolean): pino.Logger {
  const usePretty = prettyOutput ?? process.stdout.isTTY === true;
  const options: pino.LoggerOptions = { level, base: { name: 'vutlan-radius' } };
  if (usePretty) {
    return pino(options, pretty({
      sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:standard', ignore: 'pid,hostname,name',
      // JSON lines escape everything; the console prints the message as it is, so escape it here
      messageFormat: (log, key) => escapeForConsole(String(log[key] ?? '')),
    }));
  }
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
