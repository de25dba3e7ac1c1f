/**
 * The vendor-0 attribute numbers the code refers to, declared once: RADIUS standard attributes
 * and FreeRADIUS's internal (control) attributes (dictionary.freeradius.internal: never on the
 * wire). {@link ATTRIBUTE_NAMES} gives each its dictionary name; the dictionary loader's test
 * checks every one against the bundled dictionaries.
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

/** The dictionary name of each {@link Attr} entry. */
export const ATTRIBUTE_NAMES: { readonly [K in keyof typeof Attr]: string } = {
  UserName: 'User-Name',
  UserPassword: 'User-Password',
  ChapPassword: 'CHAP-Password',
  NasIpAddress: 'NAS-IP-Address',
  ServiceType: 'Service-Type',
  FramedProtocol: 'Framed-Protocol',
  Class: 'Class',
  VendorSpecific: 'Vendor-Specific',
  CalledStationId: 'Called-Station-Id',
  CallingStationId: 'Calling-Station-Id',
  NasIdentifier: 'NAS-Identifier',
  ProxyState: 'Proxy-State',
  EventTimestamp: 'Event-Timestamp',
  ChapChallenge: 'CHAP-Challenge',
  ArapPassword: 'ARAP-Password',
  EapMessage: 'EAP-Message',
  MessageAuthenticator: 'Message-Authenticator',
  ChargeableUserIdentity: 'Chargeable-User-Identity',
  NasIpv6Address: 'NAS-IPv6-Address',
  AuthType: 'Auth-Type',
  CryptPassword: 'Crypt-Password',
  AutzType: 'Autz-Type',
  AcctType: 'Acct-Type',
  SessionType: 'Session-Type',
  StripUserName: 'Strip-User-Name',
  ResponsePacketType: 'Response-Packet-Type',
  PasswordWithHeader: 'Password-With-Header',
  Pbkdf2Password: 'PBKDF2-Password',
};
