import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { replaceOrFail } from './freeradius-process.js';

/** PEM files of one side of a TLS connection. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/** The lines of a FreeRADIUS `tls { }` block both sides share: our PEM files, fragment size, ciphers. */
function tlsFiles(tls: TlsFiles): string {
  return `\t\tprivate_key_file = ${resolve(tls.key)}
\t\tcertificate_file = ${resolve(tls.cert)}
\t\tca_file = ${resolve(tls.ca)}
\t\tfragment_size = 8192
\t\tcipher_list = "DEFAULT"
`;
}

/**
 * Adds a RADIUS/TLS listener to a prepared FreeRADIUS raddb, as Debian's
 * `sites-available/tls` does (virtual server `default`, client 127.0.0.1 with proto tls and
 * secret radsec, client certificate required), on 127.0.0.1:`port`.
 */
export function addFreeRadiusTlsListener(raddb: string, port: number, tls: TlsFiles): void {
  writeFileSync(join(raddb, 'sites-enabled', 'bench-tls'), `listen {
	ipaddr = 127.0.0.1
	port = ${port}
	type = auth+acct
	proto = tcp
	virtual_server = default
	clients = radsec
	limit {
		max_connections = 64
		lifetime = 0
		idle_timeout = 60
	}
	tls {
${tlsFiles(tls)}		cipher_server_preference = no
		tls_min_version = "1.2"
		tls_max_version = "1.3"
		cache {
			enable = no
		}
		require_client_cert = yes
		verify {
		}
	}
}
clients radsec {
	client 127.0.0.1 {
		ipaddr = 127.0.0.1
		proto = tls
		secret = radsec
	}
}
`);
}

/**
 * Makes a prepared FreeRADIUS raddb proxy every Access-Request and Accounting-Request to a
 * RADIUS/TLS home server on 127.0.0.1:`port` (Debian's `home_server tls` example, with our
 * client certificate): FreeRADIUS 3.2.1 as a TLS client of ours.
 */
export function proxyFreeRadiusToTls(raddb: string, port: number, tls: TlsFiles): void {
  const proxyConf = join(raddb, 'proxy.conf');
  writeFileSync(proxyConf, `${readFileSync(proxyConf, 'utf8')}
home_server vutlan_tls {
	ipaddr = 127.0.0.1
	port = ${port}
	type = auth+acct
	secret = radsec
	proto = tcp
	status_check = none
	response_window = 5
	tls {
${tlsFiles(tls)}		connect_timeout = 5
	}
}
home_server_pool vutlan_tls_pool {
	type = fail-over
	home_server = vutlan_tls
}
realm vutlan_tls {
	auth_pool = vutlan_tls_pool
	acct_pool = vutlan_tls_pool
}
`);
  const sitePath = join(raddb, 'sites-available', 'default');
  let site = readFileSync(sitePath, 'utf8');
  const route = '\tupdate control {\n\t\t&Proxy-To-Realm := "vutlan_tls"\n\t}\n';
  site = replaceOrFail(site, /^authorize \{\n/m, `authorize {\n${route}`, 'authorize section');
  site = replaceOrFail(site, /^preacct \{\n/m, `preacct {\n${route}`, 'preacct section');
  writeFileSync(sitePath, site);
}
