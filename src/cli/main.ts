import { Command, CommanderError } from 'commander';
import { httpClientHost, httpListenHost } from '../config/http-exposure.js';
import { loadConfig } from '../config/load.js';
import { isAppError } from '../domain/errors.js';
import { ApiClient, ApiError } from './api-client.js';
import { runDemo } from './demo-command.js';
import { putControlEvent } from './put-events.js';
import { runServe } from './serve-command.js';

interface ClientFlags {
  url?: string;
  token?: string;
  config?: string;
}

/** Builds the client for commands that talk to a running server, from the same settings it runs with. */
function clientFor(flags: ClientFlags): {
  client: ApiClient;
  config: ReturnType<typeof loadConfig>;
} {
  const config = loadConfig({ file: flags.config });
  const host = httpClientHost(httpListenHost(config));
  return {
    client: new ApiClient({
      baseUrl: flags.url ?? `${config.httpTls ? 'https' : 'http'}://${host}:${config.httpPort}`,
      token: flags.token ?? config.apiToken,
    }),
    config,
  };
}

function print(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('callscribe')
    .description(
      'Live call transcription server: SIPREC recorder with an LCA-compatible control surface',
    )
    .exitOverride()
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the server (SIP, RTP, HTTP API, web UI)')
    .option('--config <file>', 'JSON config file (settings as in docs/configuration.md)')
    .action(async (flags: { config?: string }) => {
      await runServe(loadConfig({ file: flags.config }));
    });

  const clientOptions = (command: Command) =>
    command
      .option('--url <url>', 'server base URL (default http://127.0.0.1:<httpPort>)')
      .option('--token <token>', 'API bearer token (default CALLSCRIBE_API_TOKEN)')
      .option('--config <file>', 'JSON config file');

  const events = program.command('events').description('control events');
  clientOptions(
    events
      .command('put')
      .description(
        'send START_CALL_PROCESSING (or STOP_CALL_PROCESSING with --stop) through the PutEvents API',
      )
      .requiredOption('--call-id <callId>', 'the call to start or stop')
      .option('--agent-id <agentId>')
      .option('--to-number <number>')
      .option('--from-number <number>')
      .option('--stop', 'send STOP_CALL_PROCESSING instead'),
  ).action(
    async (
      flags: ClientFlags & {
        callId: string;
        agentId?: string;
        toNumber?: string;
        fromNumber?: string;
        stop?: boolean;
      },
    ) => {
      const { client, config } = clientFor(flags);
      const detail: Record<string, string> = { callId: flags.callId };
      if (flags.agentId) detail.agentId = flags.agentId;
      if (flags.toNumber) detail.toNumber = flags.toNumber;
      if (flags.fromNumber) detail.fromNumber = flags.fromNumber;
      const result = await putControlEvent({
        baseUrl: client.baseUrl,
        detailType: flags.stop ? 'STOP_CALL_PROCESSING' : 'START_CALL_PROCESSING',
        detail,
        // With keys configured the server requires SigV4: sign with the first long-term pair,
        // else with the first temporary one and its token.
        credentials: config.accessKeys[0] ?? config.sessionKeys[0],
      });
      if (result.errorCode) throw new Error(`${result.errorCode}: ${result.errorMessage ?? ''}`);
      const outcome = result.eventId
        ? await client.get(`/api/control-events/${result.eventId}`)
        : undefined;
      print({ eventId: result.eventId, outcome });
    },
  );

  const calls = program.command('calls').description('inspect calls');
  clientOptions(
    calls
      .command('list')
      .description('list calls')
      .option('--state <state>', 'PENDING, PROCESSING, PAUSED or ENDED'),
  ).action(async (flags: ClientFlags & { state?: string }) => {
    const query = flags.state ? `?state=${encodeURIComponent(flags.state)}` : '';
    print(await clientFor(flags).client.get(`/api/calls${query}`));
  });
  clientOptions(calls.command('show').description('show one call').argument('<callId>')).action(
    async (callId: string, flags: ClientFlags) => {
      print(await clientFor(flags).client.get(`/api/calls/${encodeURIComponent(callId)}`));
    },
  );

  program
    .command('demo')
    .description(
      'place a sample SIPREC call that the demo hook parks, start it via PutEvents, print the transcript',
    )
    .option(
      '--url <url>',
      'use a server already running at this URL (it must park calls, e.g. with the demo hook)',
    )
    .option('--transport <transport>', 'udp or tcp', 'tcp')
    .option(
      '--start-after-ms <ms>',
      'send START_CALL_PROCESSING this long after the call begins',
      '3000',
    )
    .option('--seconds <s>', 'how much of the sample call to play (max 44)', '44')
    .action(
      async (flags: { url?: string; transport: string; startAfterMs: string; seconds: string }) => {
        await runDemo({
          url: flags.url,
          transport: flags.transport === 'udp' ? 'udp' : 'tcp',
          startAfterMs: Number(flags.startAfterMs),
          durationMs: Math.min(44, Number(flags.seconds)) * 1000,
          out: (line) => process.stdout.write(`${line}\n`),
        });
      },
    );

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isAppError(error)) {
      process.stderr.write(`callscribe: ${error.code}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ApiError) {
      process.stderr.write(`callscribe: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`callscribe: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
