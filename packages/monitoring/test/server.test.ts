import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatStreams, type Database } from '@botdb/core';
import { MonitoringPlugin, type ServerAddress } from '../src/index.js';
import { openDb, tempDir } from './support/db.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with node:http (so keep-alive and HEAD behave as a scraper's would). */
function get(url: string, options: { method?: string; headers?: Record<string, string>; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('monitoring: /metrics over HTTP', function () {
  const dir = tempDir();
  after(function () {
    dir.remove();
  });

  it('the standalone server listens on 127.0.0.1 by default and serves the exposition', async function () {
    const db = await openDb(dir, [new MonitoringPlugin({ port: 0 })]);
    try {
      await db.get(ChatStreams, { limit: 1 });
      const addr = MonitoringPlugin.address(db) as ServerAddress;
      expect(addr.host).to.equal('127.0.0.1');
      expect(addr.port).to.be.greaterThan(0);
      expect(addr.url).to.equal(`http://127.0.0.1:${addr.port}/metrics`);
      const res = await get(addr.url);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('text/plain; version=0.0.4; charset=utf-8');
      expect(res.body).to.match(/^botdb_reads_total\{entity="ChatStreams",operation="get",layer="db"\} 1$/m);
      expect(res.body).to.equal((await MonitoringPlugin.metrics(db)).body);
    } finally {
      await db.close();
    }
  });

  it('answers 404 off its path, 405 to other methods, and HEAD without a body', async function () {
    const db = await openDb(dir, [new MonitoringPlugin({ port: 0, path: '/botdb/metrics' })]);
    try {
      const { port } = MonitoringPlugin.address(db) as ServerAddress;
      expect((await get(`http://127.0.0.1:${port}/metrics`)).status).to.equal(404);
      expect((await get(`http://127.0.0.1:${port}/botdb/metrics?x=1`)).status).to.equal(200);
      const post = await get(`http://127.0.0.1:${port}/botdb/metrics`, { method: 'POST' });
      expect(post.status).to.equal(405);
      expect(post.headers.allow).to.equal('GET, HEAD');
      const head = await get(`http://127.0.0.1:${port}/botdb/metrics`, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.body).to.equal('');
    } finally {
      await db.close();
    }
  });

  it('with a token, only `Authorization: Bearer <token>` gets the metrics', async function () {
    const db = await openDb(dir, [new MonitoringPlugin({ port: 0, token: 's3cret-token' })]);
    try {
      const { url } = MonitoringPlugin.address(db) as ServerAddress;
      const none = await get(url);
      expect(none.status).to.equal(401);
      expect(none.headers['www-authenticate']).to.match(/^Bearer /);
      expect(none.body).not.to.contain('botdb_');
      expect((await get(url, { headers: { Authorization: 'Bearer wrong' } })).status).to.equal(401);
      expect((await get(url, { headers: { Authorization: 'Basic czNjcmV0LXRva2Vu' } })).status).to.equal(401);
      const ok = await get(url, { headers: { Authorization: 'Bearer s3cret-token' } });
      expect(ok.status).to.equal(200);
      expect(ok.body).to.contain('botdb_reads_total');
    } finally {
      await db.close();
    }
  });

  it('the handler mounts in an existing Node server at any path, without opening a port of its own', async function () {
    const db = await openDb(dir, [new MonitoringPlugin()]);
    const handler = MonitoringPlugin.handler(db);
    const app: Server = createServer((req, res) => {
      if (req.url === '/internal/metrics') void handler(req, res);
      else res.writeHead(200).end('app');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    try {
      expect(MonitoringPlugin.address(db)).to.equal(undefined);
      const { port } = app.address() as AddressInfo;
      await db.get(ChatStreams, { limit: 1 });
      const res = await get(`http://127.0.0.1:${port}/internal/metrics`);
      expect(res.status).to.equal(200);
      expect(res.body).to.contain('botdb_reads_total');
      expect((await get(`http://127.0.0.1:${port}/`)).body).to.equal('app');
    } finally {
      await new Promise((r) => app.close(r));
      await db.close();
    }
  });

  it('a mounted handler checks the configured token too (no standalone server needed)', async function () {
    const db = await openDb(dir, [new MonitoringPlugin({ token: 'tok' })]);
    const handler = MonitoringPlugin.handler(db);
    const app = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    try {
      const { port } = app.address() as AddressInfo;
      expect((await get(`http://127.0.0.1:${port}/anything`)).status).to.equal(401);
      expect((await get(`http://127.0.0.1:${port}/anything`, { headers: { authorization: 'bearer tok' } })).status).to.equal(200);
    } finally {
      await new Promise((r) => app.close(r));
      await db.close();
    }
  });

  it('close stops the server, even with a scraper holding a keep-alive connection', async function () {
    const db: Database = await openDb(dir, [new MonitoringPlugin({ port: 0 })]);
    const { url } = MonitoringPlugin.address(db) as ServerAddress;
    const agent = new Agent({ keepAlive: true });
    try {
      expect((await get(url, { agent })).status).to.equal(200);
      const started = Date.now();
      await db.close();
      expect(Date.now() - started).to.be.below(2000);
      expect(MonitoringPlugin.address(db)).to.equal(undefined);
      const err = await get(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.have.property('code', 'ECONNREFUSED');
    } finally {
      agent.destroy();
    }
  });

  it('a port in use fails createDatabase with BOTDB_ERR_CONFIG naming the option', async function () {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const err = await openDb(dir, [new MonitoringPlugin({ port })]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.have.property('code', 'BOTDB_ERR_CONFIG');
      expect((err as Error).message).to.contain('"port"');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
