/**
 * Runs the PostgreSQL topology of docker/compose.pgsql.yaml on loopback without Docker: a
 * primary, a streaming replica (pg_basebackup -R) and two servers (a on the primary, b on the
 * replica). `npx tsx bench/pg-topology.ts` (after npm run build); Ctrl-C stops everything.
 */
import pino from 'pino';
import { startPgTopology } from '../src/bench/pg-topology.js';

const topo = await startPgTopology({
  logger: pino({ level: 'info' }),
  seedSql: "INSERT INTO radcheck (username, attribute, op, value) VALUES ('user01', 'Cleartext-Password', ':=', 'secret');",
});
process.stdout.write(`primary   ${topo.primary.url} (psql -h ${topo.primary.dir} -p ${topo.primary.port} -U postgres radius)
replica   ${topo.replica.url}
server a  127.0.0.1:${topo.ports.a} (primary)   radtest user01 secret 127.0.0.1:${topo.ports.a} 0 ${topo.secret}
server b  127.0.0.1:${topo.ports.b} (replica)   radtest user01 secret 127.0.0.1:${topo.ports.b} 0 ${topo.secret}
`);
const stop = () => { void topo.stop().then(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
