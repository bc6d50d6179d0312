import { createHash } from 'node:crypto';
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { actionId, chatStreamId, epochMicros, personId } from '../src/index.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

describe('ids: chatStreamId', function () {
  it('matches a stream id the Python bot wrote (private chat of qq user 3752941191)', function () {
    expect(chatStreamId({ platform: 'qq', userId: '3752941191' })).to.equal('3202083392566d90d93b65c588ca9185f6af10fdf94fab157f1e4baea5523136');
    expect(chatStreamId({ platform: 'qq', userId: 3752941191 })).to.equal('3202083392566d90d93b65c588ca9185f6af10fdf94fab157f1e4baea5523136');
  });

  it('hashes "<platform>_<group_id>" for a group chat, whoever the user is', function () {
    expect(chatStreamId({ platform: 'qq', groupId: '123456' })).to.equal(sha256('qq_123456'));
    expect(chatStreamId({ platform: 'qq', groupId: 123456, userId: '42' })).to.equal(sha256('qq_123456'));
    expect(chatStreamId({ platform: 'qq', groupId: 0 })).to.equal(sha256('qq_0'));
  });

  it('hashes "<platform>_<user_id>_private" for a private chat', function () {
    expect(chatStreamId({ platform: 'telegram', userId: 'alice' })).to.equal(sha256('telegram_alice_private'));
    expect(chatStreamId({ platform: 'qq', groupId: null, userId: '7' })).to.equal(sha256('qq_7_private'));
  });

  it('hashes UTF-8', function () {
    expect(chatStreamId({ platform: '微信', groupId: '群' })).to.equal(sha256('微信_群'));
    expect(chatStreamId({ platform: 'qq', groupId: '1' })).to.match(/^[0-9a-f]{64}$/);
  });
});

describe('ids: personId', function () {
  it('hashes "<platform>_<user_id>" with MD5', function () {
    expect(personId('qq', '10001')).to.equal(md5('qq_10001'));
    expect(personId('qq', 10001)).to.equal(md5('qq_10001'));
  });

  it('uses the part after the first "-" of the platform', function () {
    expect(personId('napcat-qq', '1')).to.equal(md5('qq_1'));
    expect(personId('a-b-c', '1')).to.equal(md5('b-c_1'));
  });

  it('uses "unknown" for a missing platform', function () {
    for (const p of [undefined, null, '']) expect(personId(p, '1')).to.equal(md5('unknown_1'));
  });
});

describe('ids: actionId and epochMicros', function () {
  it('uses the thinking id when there is one', function () {
    expect(actionId('think-123')).to.equal('think-123');
  });

  it('uses the current time in microseconds otherwise', function () {
    for (const id of [actionId(), actionId(null), actionId('')]) {
      expect(id).to.match(/^\d{16}$/);
      expect(Math.abs(Number(id) / 1000 - Date.now())).to.be.below(5_000);
    }
  });

  it('does not go backwards', function () {
    const a = Number(epochMicros());
    const b = Number(epochMicros());
    expect(b).to.be.at.least(a);
  });
});
