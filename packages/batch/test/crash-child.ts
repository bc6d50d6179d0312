/**
 * Drives writer-child.ts for the crash tests (and the chaos suite): starts it, waits until it is
 * ready, signals it, and collects the writes it issued and the ones it acknowledged.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
