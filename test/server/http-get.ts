import { request } from 'node:http';

/**
 * One HTTP request (GET unless told) from an optional local address, without keep-alive, as a
 * Prometheus scrape makes it; resolves status, content type and body (5 s timeout).
 */
export function httpGet(url: string, localAddress?: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}
