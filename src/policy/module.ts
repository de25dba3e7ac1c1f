import type { Avp } from '../protocol/attribute.js';
import type { Dictionary } from '../protocol/dictionary.js';
import type { Item } from './entry.js';

/**
 * An authorize module that runs after `files` (as FreeRADIUS's default site runs `-sql` after
 * `files`): it reads the request and edits the reply and control lists in place of the evaluator.
 * Pure policy; where its data comes from is the store's business.
 */

/** The request as the module sees it; `reply` and `control` may be replaced by the module. */
export interface ModuleContext {
  readonly dict: Dictionary;
  /** The request list after preprocess (never edited by a module). */
  readonly request: readonly Avp[];
  reply: Avp[];
  control: Avp[];
  /**
   * `paircompare` of the users file (FreeRADIUS src/main/pair.c): undefined when every
   * comparison item holds for the request, else a short reason (for the trace).
   */
  compare(items: readonly Item[]): string | undefined;
  trace?: (line: string) => void;
}

/** What a module returned (rlm_rcode_t subset): `fail` stops authorize and rejects the request. */
export interface ModuleResult {
  code: 'ok' | 'noop' | 'notfound' | 'fail';
  /** Why it failed: logged and written to the auth-fail log (never holds secrets). */
  detail?: string;
}

/** A module of the authorize section after `files`. */
export interface AuthorizeModule {
  readonly name: string;
  authorize(ctx: ModuleContext, userName: string): ModuleResult;
}
