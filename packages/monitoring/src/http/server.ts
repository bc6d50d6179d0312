/**
 * Serving a registry over HTTP: a request handler to mount in an existing Node server (or
 * express, fastify via `reply.raw`), and the standalone server the plugin starts when
 * `server` is configured.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { MonitoringError } from '../errors.js';

/** A Node request handler that answers with the metrics exposition. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Where the standalone server listens. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  /** The full URL of the metrics path, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether `req` carries `Authorization: Bearer <token>`, compared in constant time. */
function authorized(req: IncomingMessage, token: Buffer): boolean {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m !== null && timingSafeEqual(digest(m[1] as string), token);
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, head = false): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(head ? undefined : body);
}

/**
 * A handler answering GET and HEAD with `registry`'s exposition. With `token`, a request must
 * send `Authorization: Bearer <token>`. With `path`, other paths answer 404 (a mounted handler
 * leaves routing to its server and gets no path).
 */
export function metricsHandler(registry: Registry, options: { token?: string | undefined; path?: string | undefined } = {}): MetricsHandler {
  const token = options.token === undefined ? undefined : digest(options.token);
  const path = options.path;
  return async (req, res) => {
    const head = req.method === 'HEAD';
    if (path !== undefined && (req.url ?? '/').split('?')[0] !== path) return send(res, 404, 'Not found\n', {}, head);
    if (req.method !== 'GET' && !head) return send(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    if (token !== undefined && !authorized(req, token)) return send(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': 'Bearer realm="botdb metrics"' }, head);
    let body: string;
    try {
      body = await registry.metrics();
    } catch (e) {
      return send(res, 500, `Could not collect metrics: ${e instanceof Error ? e.message : String(e)}\n`, {}, head);
    }
    send(res, 200, body, { 'Content-Type': registry.contentType }, head);
  };
}

/** The standalone `/metrics` server of one database. */
export class MetricsServer {
  private constructor(
    private readonly server: Server,
    readonly address: ServerAddress,
  ) {}

  /** Listens on `host:port` (port 0: a free one). Fails with `BOTDB_ERR_CONFIG` when it cannot. */
  static async start(handler: MetricsHandler, options: { host: string; port: number; path: string }): Promise<MetricsServer> {
    const server = createServer((req, res) => {
      handler(req, res).catch(() => {
        // The handler answers its own errors; this only guards a socket that died meanwhile.
        if (!res.headersSent) send(res, 500, 'Internal error\n');
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: unknown) => reject(MonitoringError.listenFailed(options.host, options.port, e));
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    return new MetricsServer(server, { host: options.host, port, url: `http://${host}:${port}${options.path}` });
  }

  /** Stops listening and drops open (keep-alive) connections, so close does not wait on a scraper. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
