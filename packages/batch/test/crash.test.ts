import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { createDatabase, Messages } from '@botdb/core';
import { Databases, prng } from './support.js';

const CHILD = fileURLToPath(new URL('./writer-child.ts', import.meta.url));

/** Runs the writer child, sends `signal` `afterMs` after it is ready; returns the ids it issued and acked. */
export async function runChild(url: string, schema: string | undefined, signal: NodeJS.Signals, afterMs: number): Promise<{ issued: Set<string>; acked: Set<string>; closed: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, ...(schema ? [schema] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const issued = new Set<string>();
  const acked = new Set<string>();
  let closed = false;
  let buf = '';
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdout.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'READY') ready();
      else if (line === 'CLOSED') closed = true;
      else if (line.startsWith('I ')) issued.add(`crash-${line.slice(2)}`);
      else if (line.startsWith('A ')) acked.add(`crash-${line.slice(2)}`);
    }
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await isReady;
  await new Promise((r) => setTimeout(r, afterMs));
  child.kill(signal);
  await exited;
  return { issued, acked, closed };
}

async function storedIds(url: string, schema?: string): Promise<Set<string>> {
  const db = await createDatabase({ url, ...(schema ? { postgresql: { schema } } : {}) });
  try {
    const rows = await db.get(Messages, { filters: { chat_id: 'crash' } });
    return new Set(rows.map((r) => r.message_id as string));
  } finally {
    await db.close();
  }
}

describe('BatchPlugin under kill', function () {
  this.timeout(180_000);
  const dbs = new Databases('sqlite');
  after(() => dbs.cleanup());

  it('SIGKILL at random moments (12 runs): every write whose promise resolved is in the database', async function () {
    const rand = prng(7);
    let totalAcked = 0;
    for (let run = 0; run < 12; run++) {
      const url = dbs.url(`kill-${run}`);
      const { acked } = await runChild(url, undefined, 'SIGKILL', 150 + Math.floor(rand() * 600));
      const stored = await storedIds(url);
      const lost = [...acked].filter((id) => !stored.has(id));
      expect(lost, `run ${run}: acknowledged but missing`).to.deep.equal([]);
      totalAcked += acked.size;
    }
    // Enough traffic that the kills landed mid-flush (the guarantee itself is "none lost" above).
    expect(totalAcked).to.be.greaterThan(200);
  });

  it('SIGTERM with the drain handler (3 runs): every issued write is in the database', async function () {
    for (let run = 0; run < 3; run++) {
      const url = dbs.url(`term-${run}`);
      const { issued, closed } = await runChild(url, undefined, 'SIGTERM', 300 + run * 200);
      expect(closed, 'the child drained and closed').to.equal(true);
      const stored = await storedIds(url);
      expect([...issued].filter((id) => !stored.has(id)), `run ${run}: issued but missing`).to.deep.equal([]);
      expect(issued.size).to.be.greaterThan(20);
    }
  });
});
