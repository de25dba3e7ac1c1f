import type { Avp } from '../protocol/attribute.js';

/**
 * `attr_filter.access_reject` of FreeRADIUS's default site (mods-config/attr_filter/
 * access_reject): an Access-Reject keeps only EAP-Message, State, Message-Authenticator,
 * Error-Cause, Reply-Message, MS-CHAP-Error and Proxy-State; everything else in the reply is
 * dropped, in order.
 */
const KEPT_STANDARD = new Set([79 /* EAP-Message */, 24 /* State */, 80 /* Message-Authenticator */,
  101 /* Error-Cause */, 18 /* Reply-Message */, 33 /* Proxy-State */]);
const MICROSOFT = 311;
const MS_CHAP_ERROR = 2;

/** True when an Access-Reject may carry this attribute. */
export function keptInReject(avp: Avp): boolean {
  if (avp.def.vendorId === 0) return KEPT_STANDARD.has(avp.def.type);
  return avp.def.vendorId === MICROSOFT && avp.def.type === MS_CHAP_ERROR;
}

/** The reply of an Access-Reject after the access_reject filter. */
export function filterRejectReply(reply: readonly Avp[]): Avp[] {
  return reply.filter(keptInReject);
}
