/**
 * A TCP proxy in front of PostgreSQL for fault tests: it forwards bytes both ways, reads the
 * client's side of the wire protocol, and can cut a connection right around a COMMIT, refuse
 * new connections, or report the named prepared statements each connection holds on the server.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What the next COMMIT a client sends runs into. */
export type CommitFault =
  /** Forwarded; both sockets are destroyed once the server answers, before the answer reaches the client. */
  | 'lose-reply'
  /** Not forwarded; both sockets are destroyed at once (the server never sees the COMMIT). */
  | 'drop';

/** A proxy listening on 127.0.0.1. */
export interface PgProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /** Arms a fault for the next COMMIT (simple `COMMIT` query, or a Parse/Bind of one) any connection sends. */
  failNextCommit(fault: CommitFault): void;
  /** Resolves once an armed fault has struck. */
  readonly struck: () => Promise<void>;
  /** While true, new connections are closed as soon as they arrive (existing ones carry on). */
  refuse: boolean;
  /**
   * The named statements each open connection has prepared and not deallocated, per connection;
   * only of connections whose `application_name` is `application`, if given.
   */
  preparedCounts(application?: string): number[];
  close(): Promise<void>;
}

const COMMIT = /^\s*(commit|end)\s*;?\s*$/i;

/** Per connection: the client bytes not yet parsed, and the named statements the server holds. */
interface Link {
  readonly client: Socket;
  readonly server: Socket;
  started: boolean;
  /** The `application_name` of its startup message. */
  application: string | undefined;
  pending: Buffer;
  readonly prepared: Set<string>;
  /** Statement names whose text is a COMMIT (extended protocol). */
  readonly commits: Set<string>;
  /** A fault waits for this link's next Sync (extended protocol COMMIT). */
  faultAtSync: CommitFault | undefined;
  /** The reply to a forwarded COMMIT is being swallowed. */
  swallow: boolean;
}

function cstring(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
}

/** Starts a proxy to the PostgreSQL server of `url`. */
export async function startPgProxy(url: string): Promise<PgProxy> {
  const target = new URL(url);
  const host = target.hostname;
  const port = Number(target.port || 5432);
  const links = new Set<Link>();
  let armed: CommitFault | undefined;
  let onStruck: (() => void) | undefined;
  let struck = new Promise<void>((resolve) => (onStruck = resolve));

  const kill = (link: Link) => {
    link.client.destroy();
    link.server.destroy();
    links.delete(link);
  };

  const strike = (link: Link, fault: CommitFault, upTo: Buffer) => {
    onStruck?.();
    if (fault === 'drop') {
      kill(link);
      return;
    }
    link.swallow = true;
    link.server.write(upTo);
  };

  // Splits the client's bytes into protocol messages; forwards them, or strikes at a COMMIT.
  const fromClient = (link: Link, chunk: Buffer) => {
    link.pending = link.pending.length === 0 ? chunk : Buffer.concat([link.pending, chunk]);
    let at = 0;
    const buf = link.pending;
    for (;;) {
      if (!link.started) {
        if (buf.length - at < 8) break;
        const len = buf.readInt32BE(at);
        if (buf.length - at < len) break;
        // SSLRequest / GSSENCRequest are answered by the server and followed by a startup message.
        const code = buf.readInt32BE(at + 4);
        if (code !== 80877103 && code !== 80877104) {
          link.started = true;
          // Startup parameters: name\0value\0 pairs.
          for (let p = at + 8; p < at + len - 1; ) {
            const [key, next] = cstring(buf, p);
            const [value, after] = cstring(buf, next);
            if (key === 'application_name') link.application = value;
            p = after;
          }
        }
        at += len;
        continue;
      }
      if (buf.length - at < 5) break;
      const type = String.fromCharCode(buf[at]!);
      const len = buf.readInt32BE(at + 1);
      if (buf.length - at < len + 1) break;
      const body = buf.subarray(at + 5, at + 1 + len);
      const end = at + 1 + len;
      let fault: CommitFault | undefined;
      if (type === 'Q') {
        const [text] = cstring(body, 0);
        if (armed !== undefined && COMMIT.test(text)) fault = armed;
        const dealloc = /^\s*deallocate\s+(?:prepare\s+)?("?)([^";\s]+)\1\s*;?\s*$/i.exec(text);
        if (dealloc) {
          if (dealloc[2]!.toLowerCase() === 'all') link.prepared.clear();
          else link.prepared.delete(dealloc[2]!);
        }
      } else if (type === 'P') {
        const [name, next] = cstring(body, 0);
        const [text] = cstring(body, next);
        if (name !== '') link.prepared.add(name);
        if (COMMIT.test(text)) {
          if (name !== '') link.commits.add(name);
          if (armed !== undefined) link.faultAtSync = armed;
        }
      } else if (type === 'B') {
        const [, next] = cstring(body, 0);
        const [statement] = cstring(body, next);
        if (armed !== undefined && link.commits.has(statement)) link.faultAtSync = armed;
      } else if (type === 'C' && body[0] === 'S'.charCodeAt(0)) {
        link.prepared.delete(cstring(body, 1)[0]);
      } else if (type === 'S' && link.faultAtSync !== undefined) {
        fault = link.faultAtSync;
        link.faultAtSync = undefined;
      }
      if (fault !== undefined) {
        armed = undefined;
        const upTo = buf.subarray(0, end);
        link.pending = Buffer.alloc(0);
        // For 'drop' nothing of this batch of messages goes out; for 'lose-reply' all of it does.
        strike(link, fault, fault === 'drop' ? Buffer.alloc(0) : upTo);
        return;
      }
      at = end;
    }
    if (at > 0) link.server.write(buf.subarray(0, at));
    link.pending = buf.subarray(at);
  };

  const server: Server = createServer((client) => {
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host, port });
    const link: Link = { client, server: upstream, started: false, application: undefined, pending: Buffer.alloc(0), prepared: new Set(), commits: new Set(), faultAtSync: undefined, swallow: false };
    links.add(link);
    client.on('data', (chunk: Buffer) => fromClient(link, chunk));
    upstream.on('data', (chunk: Buffer) => {
      // The server answered the COMMIT: it has been decided; the client must never learn how.
      if (link.swallow) kill(link);
      else client.write(chunk);
    });
    const end = () => kill(link);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(address.port);

  const proxy: PgProxy = {
    url: proxied.toString(),
    refuse: false,
    failNextCommit(fault) {
      armed = fault;
      struck = new Promise<void>((resolve) => (onStruck = resolve));
    },
    struck: () => struck,
    preparedCounts: (application) => [...links].filter((l) => application === undefined || l.application === application).map((l) => l.prepared.size),
    close: async () => {
      for (const link of [...links]) kill(link);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
