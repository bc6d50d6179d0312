/**
 * A private redis-server for the Redis scenario, on a free port (never the machine's 6379,
 * which other programs use), in memory only. `stop()` and `start()` take it down and back up
 * on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.js';

export interface RedisServer {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.setTimeout(1000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    sock.once('error', () => resolve(false));
  });
}

/** Starts one, or returns the reason it cannot here. */
export async function startRedis(): Promise<RedisServer | string> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const failed = new Promise<never>((_, reject) => proc!.once('error', reject));
    failed.catch(() => undefined);
    for (let i = 0; i < 100; i++) {
      if (await Promise.race([answers(port), failed])) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  try {
    await start();
  } catch (e) {
    await stop();
    return `could not start redis-server: ${e instanceof Error ? e.message : String(e)}`;
  }
  return { url: `redis://127.0.0.1:${port}`, stop, start };
}
