import type pino from 'pino';
import { nasClients } from '../store/pgsql/nas-clients.js';
import type { PgUserSource } from '../store/pgsql/pg-source.js';
import { type Client, ClientTable } from './clients.js';

/**
 * The RADIUS clients of the `nas` table (users.sql.read_clients), consulted after the
 * configured clients (a configured client wins for its addresses). The table is rebuilt when
 * the source has read the nas rows again (a change by any tool, seen within a poll interval);
 * an unusable row (bad address, empty secret, bad require_ma) is logged once and skipped, the
 * other rows serve.
 */
export class SqlClientTable {
  private version = -1;
  private table: ClientTable | undefined;

  constructor(private readonly source: PgUserSource, private readonly log: pino.Logger) {}

  lookup(address: string): Client | undefined {
    if (this.source.nasVersion !== this.version) this.rebuild();
    return this.table?.lookup(address);
  }

  /** Clients from the table now (for the startup log and tests). */
  get size(): number {
    if (this.source.nasVersion !== this.version) this.rebuild();
    return this.table?.size ?? 0;
  }

  private rebuild(): void {
    this.version = this.source.nasVersion;
    const { clients, problems } = nasClients(this.source.nasRows(), 'sql:nas');
    const built = ClientTable.build(clients);
    for (const p of problems) this.log.error({ source: this.source.name }, `${p}; that NAS is ignored until the row is fixed`);
    for (const e of built.errors) this.log.error({ source: this.source.name }, `nas row id ${e.line}: ${e.message}; that NAS is ignored until the row is fixed`);
    this.table = built.table;
    this.log.info({ source: this.source.name, clients: built.table.size }, 'RADIUS clients read from the nas table');
  }
}
