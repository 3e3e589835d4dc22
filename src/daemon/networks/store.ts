// The network tables of the metadata database: networks, attachments (which networks a
// container joins, from create/connect), sandboxes (the live network side of a running
// container), and the IPAM and host-port allocations (primary keys: nothing is held twice).
import type { MetadataDb } from '../../store/metadata/db.js';
import type { EndpointConfig } from '../../engine-api/network.js';
import type { NetworkRecord, SandboxState } from './types.js';

const MIGRATIONS = [
  `CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, record TEXT NOT NULL);
   CREATE TABLE network_attachments (container_id TEXT NOT NULL, network_id TEXT NOT NULL, seq INTEGER NOT NULL, config TEXT NOT NULL, PRIMARY KEY (container_id, network_id));
   CREATE TABLE network_sandboxes (container_id TEXT PRIMARY KEY, state TEXT NOT NULL);
   CREATE TABLE network_ipam (network_id TEXT NOT NULL, address TEXT NOT NULL, container_id TEXT NOT NULL, PRIMARY KEY (network_id, address));
   CREATE TABLE network_ports (proto TEXT NOT NULL, host_ip TEXT NOT NULL, host_port INTEGER NOT NULL, container_id TEXT NOT NULL, PRIMARY KEY (proto, host_ip, host_port));`,
];

export interface AttachmentRow {
  containerId: string;
  networkId: string;
  seq: number;
  config: EndpointConfig;
}

export class NetworkStore {
  readonly db: MetadataDb;

  constructor(db: MetadataDb) {
    this.db = db;
    db.migrate('networks', MIGRATIONS);
  }

  networks(): NetworkRecord[] {
    return this.db.all<{ record: string }>('SELECT record FROM networks').map((r) => JSON.parse(r.record) as NetworkRecord);
  }

  saveNetwork(n: NetworkRecord): void {
    this.db.run('INSERT INTO networks (id, name, record) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, record = excluded.record', n.id, n.name, JSON.stringify(n));
  }

  deleteNetwork(id: string): void {
    this.db.transaction(() => {
      this.db.run('DELETE FROM networks WHERE id = ?', id);
      this.db.run('DELETE FROM network_attachments WHERE network_id = ?', id);
      this.db.run('DELETE FROM network_ipam WHERE network_id = ?', id);
    });
  }

  attachments(containerId?: string): AttachmentRow[] {
    const rows = containerId
      ? this.db.all<{ container_id: string; network_id: string; seq: number; config: string }>('SELECT * FROM network_attachments WHERE container_id = ? ORDER BY seq', containerId)
      : this.db.all<{ container_id: string; network_id: string; seq: number; config: string }>('SELECT * FROM network_attachments ORDER BY container_id, seq');
    return rows.map((r) => ({ containerId: r.container_id, networkId: r.network_id, seq: r.seq, config: JSON.parse(r.config) as EndpointConfig }));
  }

  saveAttachment(a: AttachmentRow): void {
    this.db.run('INSERT INTO network_attachments (container_id, network_id, seq, config) VALUES (?, ?, ?, ?) ON CONFLICT(container_id, network_id) DO UPDATE SET config = excluded.config', a.containerId, a.networkId, a.seq, JSON.stringify(a.config));
  }

  deleteAttachment(containerId: string, networkId?: string): void {
    if (networkId) this.db.run('DELETE FROM network_attachments WHERE container_id = ? AND network_id = ?', containerId, networkId);
    else this.db.run('DELETE FROM network_attachments WHERE container_id = ?', containerId);
  }

  sandboxes(): SandboxState[] {
    return this.db.all<{ state: string }>('SELECT state FROM network_sandboxes').map((r) => JSON.parse(r.state) as SandboxState);
  }

  /** Save a sandbox with exactly its addresses and ports held (one transaction). */
  saveSandbox(s: SandboxState): void {
    this.db.transaction(() => {
      this.db.run('INSERT INTO network_sandboxes (container_id, state) VALUES (?, ?) ON CONFLICT(container_id) DO UPDATE SET state = excluded.state', s.containerId, JSON.stringify(s));
      this.db.run('DELETE FROM network_ipam WHERE container_id = ?', s.containerId);
      for (const e of s.endpoints) {
        if (e.cniResult) continue;
        if (e.ip) this.db.run('INSERT INTO network_ipam (network_id, address, container_id) VALUES (?, ?, ?)', e.networkId, e.ip, s.containerId);
        if (e.ip6) this.db.run('INSERT INTO network_ipam (network_id, address, container_id) VALUES (?, ?, ?)', e.networkId, e.ip6, s.containerId);
      }
      this.db.run('DELETE FROM network_ports WHERE container_id = ?', s.containerId);
      for (const p of s.ports) this.db.run('INSERT INTO network_ports (proto, host_ip, host_port, container_id) VALUES (?, ?, ?, ?)', p.proto, p.hostIp, p.hostPort, s.containerId);
    });
  }

  deleteSandbox(containerId: string): void {
    this.db.transaction(() => {
      this.db.run('DELETE FROM network_sandboxes WHERE container_id = ?', containerId);
      this.db.run('DELETE FROM network_ipam WHERE container_id = ?', containerId);
      this.db.run('DELETE FROM network_ports WHERE container_id = ?', containerId);
    });
  }

  /** Addresses held on a network. */
  usedAddresses(networkId: string): string[] {
    return this.db.all<{ address: string }>('SELECT address FROM network_ipam WHERE network_id = ?', networkId).map((r) => r.address);
  }

  portHeld(proto: string, hostIp: string, port: number): boolean {
    return this.db.get('SELECT 1 AS x FROM network_ports WHERE proto = ? AND host_port = ? AND (host_ip = ? OR host_ip = ? OR ? = ?)', proto, port, hostIp, '', hostIp, '') !== undefined;
  }

  /** IPAM and port rows whose container has no sandbox (a crash between steps). */
  dropOrphanAllocations(): number {
    const a = this.db.run('DELETE FROM network_ipam WHERE container_id NOT IN (SELECT container_id FROM network_sandboxes)');
    const b = this.db.run('DELETE FROM network_ports WHERE container_id NOT IN (SELECT container_id FROM network_sandboxes)');
    return Number(a.changes) + Number(b.changes);
  }
}
