import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** An even port free for both UDP and TCP on 127.0.0.1, for sipp's own -p / -mp. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 46_000 + 2 * Math.floor(Math.random() * 2000);
    const tcpFree = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (tcpFree && udpFree) return port;
  }
}

/** One sipp call from loopback to `sipPort`, on free ports of its own. */
export async function sippCallArgs(options: {
  sipPort: number;
  transport: 'u1' | 't1';
  timeout: string;
}): Promise<string[]> {
  return [
    `127.0.0.1:${options.sipPort}`,
    '-m',
    '1',
    '-t',
    options.transport,
    '-i',
    '127.0.0.1',
    '-p',
    String(await freePort()),
    '-mi',
    '127.0.0.1',
    '-mp',
    String(await freePort()),
    '-timeout',
    options.timeout,
    '-nostdin',
  ];
}

/** Runs sipp to completion (killed after `timeoutMs`), returning its exit code and output. */
export function runSipp(
  args: string[],
  cwd: string,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * sipp as the SBC for the end-to-end tests: a SIPREC INVITE with both streams
 * (test/sipp/siprec-uac-long.xml), RTP from its exec'd sender, BYE after 28.5 s.
 */
export async function runSippSiprecCall(options: {
  repoRoot: string;
  sipPort: number;
  callId: string;
  callerAudio: string;
  agentAudio: string;
  cwd: string;
}): Promise<{ code: number | null; output: string }> {
  const sippDir = `${options.repoRoot}/test/sipp`;
  return runSipp(
    [
      '-sf',
      `${sippDir}/siprec-uac-long.xml`,
      ...(await sippCallArgs({ sipPort: options.sipPort, transport: 'u1', timeout: '60s' })),
      '-cid_str',
      options.callId,
      '-key',
      'sender',
      `${sippDir}/send-rtp.mjs`,
      '-key',
      'caller_audio',
      options.callerAudio,
      '-key',
      'agent_audio',
      options.agentAudio,
      '-key',
      'media_seconds',
      '28',
    ],
    options.cwd,
    70_000,
  );
}
