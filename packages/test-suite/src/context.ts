import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { ChatStreamsRow, Database, MessagesRow } from '@botdb/core';

/** What every group of conformance tests needs: the database under test and fresh ids. */
export interface SuiteContext {
  /** The database under test; available from the suite's `before` hook on. */
  readonly db: Database;
  /** Whether the factory has produced the database. */
  readonly ready: boolean;
  /** A string unique in this run of the suite (and, with its random part, across runs). */
  uid(prefix?: string): string;
  /** A unique string of exactly 10 characters, for short columns (`schedule.date` is VARCHAR(10)). */
  shortId(): string;
}

/** Creates the context of one suite run; `db` is set by the suite's `before` hook. */
export function createContext(): SuiteContext & { db: Database } {
  const run = randomBytes(4).toString('hex');
  let n = 0;
  let current: Database | undefined;
  return {
    get db(): Database {
      if (!current) throw new Error('The conformance suite has no database yet: the factory did not run or failed.');
      return current;
    },
    set db(db: Database) {
      current = db;
    },
    get ready(): boolean {
      return current !== undefined;
    },
    uid(prefix = 'id') {
      n += 1;
      return `${prefix}-${run}-${n}`;
    },
    shortId() {
      n += 1;
      return `${run.slice(0, 6)}${n.toString(36).padStart(4, '0')}`;
    },
  };
}

/** A valid `messages` row of chat `chatId`: every NOT NULL column without a default is set. */
export function message(chatId: string, overrides: Partial<MessagesRow> = {}): Partial<MessagesRow> {
  return {
    message_id: `msg-${chatId}`,
    time: 1_700_000_000.5,
    chat_id: chatId,
    chat_info_stream_id: chatId,
    chat_info_platform: 'qq',
    chat_info_user_platform: 'qq',
    chat_info_user_id: '10001',
    chat_info_user_nickname: 'alice',
    chat_info_create_time: 1_700_000_000,
    chat_info_last_active_time: 1_700_000_100,
    ...overrides,
  };
}

/** A valid `chat_streams` row with stream id `streamId`. */
export function chatStream(streamId: string, overrides: Partial<ChatStreamsRow> = {}): Partial<ChatStreamsRow> {
  return {
    stream_id: streamId,
    create_time: 1_700_000_000,
    last_active_time: 1_700_000_100,
    platform: 'qq',
    user_platform: 'qq',
    user_id: '10001',
    user_nickname: 'alice',
    ...overrides,
  };
}

/**
 * Awaits `fn()` and asserts it failed with a botdb error of `code`. Returns the error.
 * Synchronous throws count too: a caller cannot tell them apart from rejections.
 */
export async function expectCode(fn: () => unknown, code: string): Promise<Error & { code?: unknown }> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected an error with code ${code}, but the call succeeded`).to.be.instanceOf(Error);
  const err = caught as Error & { code?: unknown };
  expect(err.code, `error code (message: ${err.message})`).to.equal(code);
  return err;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The expected `Date` of naive wall-clock text in the database's time-zone mode. */
export function naiveDate(db: Database, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): Date {
  return db.config.timeZone === 'utc' ? new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms)) : new Date(y, mo - 1, d, h, mi, s, ms);
}
