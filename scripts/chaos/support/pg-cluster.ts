/**
 * A private PostgreSQL cluster for the restart scenarios: its own data directory and a free
 * port, never the machine's cluster, which other programs use. Needs the server binaries
 * (initdb, pg_ctl) and, as root, the `postgres` user to run them as.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

export interface PgCluster {
  readonly url: string;
  /** `pg_ctl restart -m <mode>`: fast ends sessions cleanly, immediate crashes the server (recovery on start). */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** Stops the cluster and deletes its directory. */
  destroy(): Promise<void>;
}

/**
 * The server binaries' folder: `pg_config --bindir` where it names one with `pg_ctl`, else the
 * newest version in Debian's layout (`/usr/lib/postgresql/<version>/bin`, which is not on PATH).
 */
function binDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  } catch {
    // No pg_config: look in Debian's layout.
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin');
  return undefined;
}

/** Starts a private cluster, or returns the reason it cannot here. */
export async function startPgCluster(): Promise<PgCluster | string> {
  const bin = binDir();
  if (bin === undefined) return 'no PostgreSQL server binaries (initdb, pg_ctl) on this machine';
  const root = userInfo().uid === 0;
  let uid: number | undefined;
  if (root) {
    try {
      uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    } catch {
      return 'running as root and there is no postgres user to run the server as';
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'botdb-chaos-pg-'));
  if (uid !== undefined) chownSync(dir, uid, uid);
  const asOwner = (cmd: string, args: string[]) => (root ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  const data = join(dir, 'data');
  const port = await freePort();
  const ctl = (args: string[]) => asOwner('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', ...args]);
  try {
    await asOwner('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await ctl(['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=60`, 'start']);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `could not start a private PostgreSQL cluster: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: async (mode) => {
      await ctl(['-m', mode, 'restart']);
    },
    destroy: async () => {
      await ctl(['-m', 'immediate', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
