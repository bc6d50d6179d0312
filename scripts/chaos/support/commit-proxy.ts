/**
 * A TCP proxy in front of PostgreSQL that loses COMMIT replies: it passes the wire protocol
 * through, and for a chosen COMMIT (a simple-query `Q` message, as botdb and knex send it)
 * forwards the COMMIT to the server, waits until the server answered (so the transaction did
 * commit) and then cuts the client's connection without passing the answer on. The client sees
 * its connection die during COMMIT and cannot know whether it committed.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CommitProxy {
  readonly port: number;
  /** COMMITs whose reply was dropped so far. */
  readonly dropped: number;
  /** COMMITs seen so far. */
  readonly commits: number;
  close(): Promise<void>;
}

/** Starts the proxy; `drop()` is asked for every COMMIT whether to lose its reply. */
export function startCommitProxy(target: { host: string; port: number }, drop: () => boolean): Promise<CommitProxy> {
  let dropped = 0;
  let commits = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    let cut = false;
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', () => {
      if (!cut) upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    upstream.on('data', (d: Buffer) => {
      // The server answered the dropped COMMIT: it committed; now cut the server side too.
      if (cut) upstream.destroy();
      else client.write(d);
    });

    // Client to server: the first message (startup, or SSLRequest then startup) has no type byte.
    let buf: Buffer = Buffer.alloc(0);
    let untyped = true;
    client.on('data', (d: Buffer) => {
      if (cut) return;
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      let off = 0;
      while (true) {
        if (untyped) {
          if (buf.length - off < 8) break;
          const len = buf.readInt32BE(off);
          if (buf.length - off < len) break;
          // SSLRequest (80877103) and GSSENCRequest (80877104) are followed by another untyped message.
          const code = buf.readInt32BE(off + 4);
          untyped = code === 80877103 || code === 80877104;
          off += len;
          continue;
        }
        if (buf.length - off < 5) break;
        const len = buf.readInt32BE(off + 1);
        if (buf.length - off < 1 + len) break;
        const type = String.fromCharCode(buf[off]!);
        if (type === 'Q') {
          const text = buf.toString('utf8', off + 5, off + len).replace(/\0$/, '').trim().replace(/;$/, '').toUpperCase();
          if (text === 'COMMIT') {
            commits++;
            if (drop()) {
              dropped++;
              cut = true;
              upstream.write(buf.subarray(0, off + 1 + len));
              client.destroy();
              // In case the server never answers: do not hold the connection for ever.
              setTimeout(() => upstream.destroy(), 5000).unref();
              buf = Buffer.alloc(0);
              return;
            }
          }
        }
        off += 1 + len;
      }
      upstream.write(buf.subarray(0, off));
      buf = buf.subarray(off);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        get dropped() {
          return dropped;
        },
        get commits() {
          return commits;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
