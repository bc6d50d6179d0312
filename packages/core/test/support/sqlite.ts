import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory; `remove()` deletes it and everything in it. */
export function tempDir(prefix = 'botdb-test-'): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name: string) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** The SQLite drivers botdb supports; every SQLite test that touches the driver runs on both. */
export const SQLITE_DRIVERS = ['better-sqlite3', 'sqlite3'] as const;
