/**
 * The HTTP side of the emulator: `POST /engine.htm` with form fields
 * (application/x-www-form-urlencoded, the default) or a JSON object (application/json, as newer
 * devices accept). Device replies are always HTTP 200 with an XML body, errors included, as on
 * the device; only transport problems get other statuses (404, 405, 413, 415, 400, 500).
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { DeviceEngine, Fields } from './engine.js';

const MAX_BODY = 64 * 1024;

/** Why a body could not be turned into fields. */
class BodyError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** Turns a request body into string fields according to its Content-Type. */
export function parseBody(contentType: string | undefined, body: string): Fields {
  const type = (contentType ?? 'application/x-www-form-urlencoded').split(';')[0]!.trim().toLowerCase();
  const fields: Fields = Object.create(null) as Fields;
  if (type === 'application/json') {
    let raw: unknown;
    try { raw = JSON.parse(body); } catch { throw new BodyError(400, 'invalid JSON'); }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BodyError(400, 'JSON body must be an object');
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = String(typeof v === 'boolean' ? Number(v) : v);
    }
    return fields;
  }
  if (type === 'application/x-www-form-urlencoded' || type === 'text/plain' || type === '') {
    for (const [k, v] of new URLSearchParams(body)) if (!(k in fields)) fields[k] = v;
    return fields;
  }
  throw new BodyError(415, `unsupported content type ${type}`);
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/xml; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Creates (does not start) the HTTP server serving `engine`. */
export function createDeviceHttpServer(engine: DeviceEngine, log: Logger): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://device');
    if (url.pathname !== '/engine.htm') { send(res, 404, 'not found\n', 'text/plain'); return; }
    if (req.method !== 'POST') { res.setHeader('Allow', 'POST'); send(res, 405, 'method not allowed\n', 'text/plain'); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY && !aborted) {
        aborted = true;
        send(res, 413, 'request body too large\n', 'text/plain');
        req.destroy();
        return;
      }
      if (!aborted) chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      let fields: Fields;
      try {
        fields = parseBody(req.headers['content-type'], Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        if (err instanceof BodyError) { send(res, err.status, `${err.message}\n`, 'text/plain'); return; }
        throw err;
      }
      engine.handle(fields, req.socket.remoteAddress ?? '').then(
        (xml) => send(res, 200, xml),
        (err: unknown) => {
          log.error({ err }, 'request failed');
          send(res, 500, 'internal error\n', 'text/plain');
        },
      );
    });
  });
}
