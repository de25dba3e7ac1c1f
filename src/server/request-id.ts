/**
 * Request ids for structured logs: unique within a server run across worker processes, short,
 * and free on the request path. The pipeline keeps a plain integer per request (it already
 * numbers requests for the -X trace); the string is built only when a line is actually logged.
 *
 *   const ids = new RequestIds();      // once per process
 *   ids.format(req.n)                  // "2n9.k3x-1f": pid.start tag, then the request number
 *
 * The tag is the process id and start time in base 36, so two workers (or a restarted worker)
 * never produce the same id, and the ids sort by arrival within one process.
 */
export class RequestIds {
  /** Prefix shared by every id of this process (ends with "-"). */
  readonly tag: string;

  constructor(pid: number = process.pid, startedMs: number = Date.now()) {
    this.tag = `${pid.toString(36)}.${(startedMs % 1_679_616).toString(36)}-`;
  }

  /** The id of request number `n` (a positive integer counted by the caller). */
  format(n: number): string {
    return this.tag + n.toString(36);
  }
}
