import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port block for a test peer: `port` to `port + 3` (sipp's media port takes RTP and RTCP for
 * audio, then video's pair) are free now. The blocks lie below the kernel's ephemeral range
 * (32768 and up) so that no socket bound to port 0 can take one between this check and the
 * peer's bind, and this process never hands out the same block twice.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = FREE_PORT_MIN + 4 * Math.floor(Math.random() * FREE_PORT_BLOCKS);
    if (handedOut.has(port)) continue;
    let free = await tcpFree(port);
    for (let offset = 0; free && offset < 4; offset++) free = await udpFree(port + offset);
    if (!free) continue;
    handedOut.add(port);
    return port;
  }
}

const FREE_PORT_MIN = 22_000;
const FREE_PORT_BLOCKS = 2_500;
const handedOut = new Set<number>();

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
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
