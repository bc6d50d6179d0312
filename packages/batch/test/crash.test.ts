import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { createDatabase, Messages } from '@botdb/core';
import { runChild } from './crash-child.js';
import { Databases, prng } from './support.js';

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
