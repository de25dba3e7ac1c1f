import type { DataType } from './dictionary.js';

/**
 * The vendor-0 attribute numbers the code refers to, declared once: RADIUS standard attributes
 * and FreeRADIUS's internal (control) attributes (dictionary.freeradius.internal: never on the
 * wire). {@link DECLARED_ATTRIBUTES} gives each its dictionary name and data type; the
 * dictionary loader checks every one against the loaded dictionaries (a site dictionary that
 * gives one of these numbers another type is refused at load, with its file:line).
 */
export const Attr = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  ServiceType: 6,
  FramedProtocol: 7,
  Class: 25,
  VendorSpecific: 26,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  EventTimestamp: 55,
  ChapChallenge: 60,
  ArapPassword: 70,
  EapMessage: 79,
  MessageAuthenticator: 80,
  ChargeableUserIdentity: 89,
  NasIpv6Address: 95,
  // FreeRADIUS internal attributes
  AuthType: 1000,
  CryptPassword: 1006,
  AutzType: 1011,
  AcctType: 1012,
  SessionType: 1013,
  StripUserName: 1035,
  ResponsePacketType: 1080,
  PasswordWithHeader: 1101,
  Pbkdf2Password: 1181,
} as const;

/** The dictionary name and data type of each {@link Attr} entry. */
export const DECLARED_ATTRIBUTES: { readonly [K in keyof typeof Attr]: readonly [name: string, type: DataType] } = {
  UserName: ['User-Name', 'string'],
  UserPassword: ['User-Password', 'string'],
  ChapPassword: ['CHAP-Password', 'octets'],
  NasIpAddress: ['NAS-IP-Address', 'ipaddr'],
  ServiceType: ['Service-Type', 'integer'],
  FramedProtocol: ['Framed-Protocol', 'integer'],
  Class: ['Class', 'octets'],
  VendorSpecific: ['Vendor-Specific', 'vsa'],
  CalledStationId: ['Called-Station-Id', 'string'],
  CallingStationId: ['Calling-Station-Id', 'string'],
  NasIdentifier: ['NAS-Identifier', 'string'],
  ProxyState: ['Proxy-State', 'octets'],
  EventTimestamp: ['Event-Timestamp', 'date'],
  ChapChallenge: ['CHAP-Challenge', 'octets'],
  ArapPassword: ['ARAP-Password', 'octets'],
  EapMessage: ['EAP-Message', 'octets'],
  MessageAuthenticator: ['Message-Authenticator', 'octets'],
  ChargeableUserIdentity: ['Chargeable-User-Identity', 'octets'],
  NasIpv6Address: ['NAS-IPv6-Address', 'ipv6addr'],
  AuthType: ['Auth-Type', 'integer'],
  CryptPassword: ['Crypt-Password', 'string'],
  AutzType: ['Autz-Type', 'integer'],
  AcctType: ['Acct-Type', 'integer'],
  SessionType: ['Session-Type', 'integer'],
  StripUserName: ['Strip-User-Name', 'integer'],
  ResponsePacketType: ['Response-Packet-Type', 'integer'],
  PasswordWithHeader: ['Password-With-Header', 'string'],
  Pbkdf2Password: ['PBKDF2-Password', 'octets'],
};

/** The Auth-Type VALUEs the evaluator acts on (dictionary.freeradius.internal), checked at load too. */
export const AuthTypeValue = {
  Reject: 4,
  Accept: 254,
} as const;
