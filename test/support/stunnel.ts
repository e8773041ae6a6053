import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandWorks, requireTool } from './tools.js';

/**
 * Debian's stunnel4 as the SBC's TLS layer, so a plain-TCP peer (sipp) speaks SIP over TLS
 * through a TLS stack the project did not write: a client service (TCP in, TLS out to
 * callscribe) and, optionally, a server service (TLS in from callscribe, TCP to the peer).
 */
export const stunnelTool = () =>
  requireTool(
    'stunnel4',
    () => commandWorks('stunnel', ['-version']) || commandWorks('stunnel4', ['-version']),
  );

export interface StunnelService {
  name: string;
  client: boolean;
  accept: number;
  connect: number;
  certFile?: string;
  keyFile?: string;
  /** Verify the other side against this CA (chain), and, for a client, its IP. */
  caFile?: string;
  checkIp?: string;
}

export interface RunningStunnel {
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export async function startStunnel(services: StunnelService[]): Promise<RunningStunnel> {
  const dir = mkdtempSync(join(tmpdir(), 'callscribe-stunnel-'));
  const lines = ['foreground = yes', 'pid =', 'debug = 5', 'syslog = no', ''];
  for (const s of services) {
    lines.push(
      `[${s.name}]`,
      `client = ${s.client ? 'yes' : 'no'}`,
      `accept = 127.0.0.1:${s.accept}`,
      `connect = 127.0.0.1:${s.connect}`,
      'sslVersionMin = TLSv1.2',
      ...(s.certFile ? [`cert = ${s.certFile}`] : []),
      ...(s.keyFile ? [`key = ${s.keyFile}`] : []),
      ...(s.caFile ? [`CAfile = ${s.caFile}`, 'verifyChain = yes'] : ['verifyChain = no']),
      ...(s.checkIp ? [`checkIP = ${s.checkIp}`] : []),
      '',
    );
  }
  const config = join(dir, 'stunnel.conf');
  writeFileSync(config, lines.join('\n'));
  const child = spawn('stunnel', [config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  // Readiness from its own log: probing the accept port would open a TLS connection onward.
  const deadline = Date.now() + 10_000;
  while (!/Configuration successful/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`stunnel did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    process: child,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
