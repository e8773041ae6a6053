import { z } from 'zod';
import { httpExposureProblem } from './http-exposure.js';
import { tlsSettingsProblems } from './tls-settings.js';
import { SHERPA_MODEL_TYPES } from './sherpa-model-types.js';
import { CODEC_NAMES, type CodecName } from '../media/codecs.js';
import { SRTP_LIBRARY_NAMES } from '../adapters/srtp/srtp-library.js';

/**
 * The single source of truth for settings. Each key is set in the optional JSON config file
 * under its own name, or in the environment as CALLSCRIBE_<KEY_IN_SNAKE_CASE>
 * (`httpPort` → `CALLSCRIBE_HTTP_PORT`); the environment wins. docs/configuration.md is
 * generated from the descriptions here (`npm run docs:config`).
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const bool = z.union([
  z.boolean(),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
]);

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : v,
    z.array(item),
  );

const accessKey = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const i = v.indexOf(':');
    return i < 0
      ? { accessKeyId: v }
      : { accessKeyId: v.slice(0, i), secretAccessKey: v.slice(i + 1) };
  },
  z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }),
);

/** `ACCESS_KEY_ID:SECRET:SESSION_TOKEN`; tokens and AWS secrets never contain `:` or `,`. */
const sessionKey = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const first = v.indexOf(':');
    const last = v.lastIndexOf(':');
    return first < 0 || last === first
      ? { accessKeyId: v }
      : {
          accessKeyId: v.slice(0, first),
          secretAccessKey: v.slice(first + 1, last),
          sessionToken: v.slice(last + 1),
        };
  },
  z.object({
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    sessionToken: z.string().min(1),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('when the temporary credentials stop being accepted (config file only)'),
  }),
);

const portRange = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const m = /^(\d+)-(\d+)$/.exec(v.trim());
    return m ? { min: Number(m[1]), max: Number(m[2]) } : v;
  },
  z
    .object({ min: port, max: port })
    .refine(
      (r) => r.min <= r.max && r.min % 2 === 0,
      'must be MIN-MAX with an even MIN and MIN <= MAX',
    ),
);

/** A codec name in any case (`g722`, `OPUS`), normalised to the registry's spelling. */
const codecName = z
  .string()
  .transform((v) => CODEC_NAMES.find((name) => name.toLowerCase() === v.toLowerCase()) ?? v)
  .pipe(z.enum(CODEC_NAMES as [CodecName, ...CodecName[]]));

const cidr = z
  .string()
  .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or CIDR such as 10.0.0.0/8');

/** Per-SBC rules for telling caller from agent, matched by source address or User-Agent. */
export const sbcProfileSchema = z.object({
  name: z.string().min(1),
  matchSourceCidrs: z.array(cidr).default([]),
  matchUserAgent: z.string().optional().describe('regular expression on the User-Agent header'),
  mappingRule: z.enum(['metadata', 'label-order', 'agent-aor-pattern']),
  agentAorPattern: z
    .string()
    .optional()
    .describe('regular expression on participant AORs that marks the agent'),
  firstLabelIs: z.enum(['CALLER', 'AGENT']).default('CALLER'),
});

export const configSchema = z
  .object({
    httpHost: z
      .string()
      .optional()
      .describe(
        'Address the HTTP API, PutEvents endpoint and web UI listen on. Default: every address (0.0.0.0) when apiToken and accessKeys (or sessionKeys) are set, otherwise 127.0.0.1 only. A non-loopback address without them needs `allowUnauthenticated`.',
      ),
    allowUnauthenticated: bool
      .default(false)
      .describe(
        'Let the HTTP side listen on a non-loopback address without apiToken or without accessKeys/sessionKeys. A warning is logged at every start.',
      ),
    httpTls: bool
      .default(false)
      .describe(
        'Serve the HTTP side (API, PutEvents, web UI, metrics) over HTTPS, TLS 1.2 or 1.3 only, with httpTlsCertFile/httpTlsKeyFile, or else tlsCertFile/tlsKeyFile.',
      ),
    httpTlsCertFile: z
      .string()
      .optional()
      .describe('PEM certificate chain for HTTPS, when it is not tlsCertFile.'),
    httpTlsKeyFile: z
      .string()
      .optional()
      .describe('PEM private key for HTTPS, when it is not tlsKeyFile.'),
    tlsCertFile: z
      .string()
      .optional()
      .describe(
        'PEM certificate chain (leaf first) for SIP over TLS, and for HTTPS unless it has its own. Reloaded on SIGHUP and when the file changes.',
      ),
    tlsKeyFile: z.string().optional().describe('PEM private key of tlsCertFile.'),
    tlsHandshakeTimeoutMs: positiveMs
      .default(10_000)
      .describe(
        'A TLS client (SIP or HTTPS) that has not completed its handshake by then is disconnected.',
      ),
    tlsReloadCheckMs: positiveMs
      .default(5000)
      .describe(
        'How often certificate, key and CA files are checked for changes; SIGHUP reloads them at once.',
      ),
    httpPort: port.default(8080).describe('HTTP port (API, PutEvents, web UI, metrics).'),
    publicUrl: z
      .string()
      .url()
      .optional()
      .describe(
        'Base URL clients use to reach this server; recording URLs in call events start with it. Default http://<httpHost>:<httpPort>.',
      ),
    dataDir: z
      .string()
      .default('./data')
      .describe('Directory for the SQLite database and the recordings.'),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('pino log level.'),
    logRedact: bool
      .default(true)
      .describe(
        'Redact PII fields (phone numbers, transcripts, SIP headers) in logs. Turn off only to debug.',
      ),
    nodeId: z
      .string()
      .optional()
      .describe(
        "This node's id. Default: `<hostname>-<random>`, created once and kept in `<dataDir>/node-id`, so a restarted node knows its own calls.",
      ),

    hook: z
      .string()
      .optional()
      .describe(
        'Call-initialization hook: a path to an ES module (default export async (event) => response) or an http(s) URL of a webhook.',
      ),
    hookTimeoutMs: positiveMs
      .default(2000)
      .describe('How long the hook may take before the failure policy applies.'),
    hookFailurePolicy: z
      .enum(['process', 'park', 'reject'])
      .default('park')
      .describe(
        'When the hook fails, times out or replies nonsense: `process` the call, `park` it (PENDING until START_CALL_PROCESSING), or `reject` it (recorded as ENDED, no audio kept).',
      ),

    accessKeys: list(accessKey)
      .default([])
      .describe(
        'Comma-separated ACCESS_KEY_ID:SECRET pairs. When set, PutEvents requests must carry a valid SigV4 signature by one of them.',
      ),
    sessionKeys: list(sessionKey)
      .default([])
      .describe(
        'Temporary credentials (as STS AssumeRole hands out) accepted on PutEvents: comma-separated ACCESS_KEY_ID:SECRET:SESSION_TOKEN triples, or objects with an optional `expiresAt` in the config file. A request signed with one must carry its token in X-Amz-Security-Token; any other token is refused.',
      ),
    apiToken: z
      .string()
      .min(1)
      .optional()
      .describe('Bearer token required by the REST API, event streams and web UI when set.'),
    putEventsMaxBodyBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe(
        'Largest total entry size of a PutEvents request, as AWS counts it (AWS: 1 MiB since 2026-01). Request bodies may be up to twice this plus 64 KiB, because JSON escaping inflates Detail strings; larger bodies get 413.',
      ),
    sigv4MaxSkewMs: positiveMs
      .default(15 * 60 * 1000)
      .describe('Largest accepted clock skew of a signed request.'),
    pendingEventTtlMs: positiveMs
      .default(30_000)
      .describe(
        'How long a control event for a not-yet-known callId is held in case the call is about to arrive.',
      ),
    callTtlMs: positiveMs
      .default(24 * 3600 * 1000)
      .describe('How long call records and their events are kept (LCA: one day).'),
    sweepIntervalMs: positiveMs.default(60_000).describe('How often expired records are deleted.'),
    eventCommitIntervalMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(10)
      .describe(
        "Call events (transcript segments, call states) are stored in groups, one transaction (SQLite) or one round of scripts (Redis) per group: an event waits at most this long for others to join its group. An event is acknowledged and shown to subscribers only once its group is stored; a crash loses only events nobody was told were stored. 0 groups just what one event-loop turn brought. A call's events keep their order, so one call stores at most one event per interval.",
      ),
    eventCommitMaxEvents: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe(
        'A group of call events this large is stored at once, before `eventCommitIntervalMs` ends. 1 stores every event in its own transaction.',
      ),

    sipHost: z.string().default('0.0.0.0').describe('Address SIP listens on (UDP, TCP and TLS).'),
    sipPort: port.default(5060).describe('SIP port for UDP and TCP.'),
    sipTransports: list(z.enum(['udp', 'tcp', 'tls']))
      .default(['udp', 'tcp'])
      .describe('SIP transports to listen on: `udp`, `tcp`, `tls`.'),
    sipTlsPort: port
      .default(5061)
      .describe(
        'SIP over TLS port, when `tls` is in sipTransports (certificate: tlsCertFile, tlsKeyFile).',
      ),
    sipTlsCaFile: z
      .string()
      .optional()
      .describe(
        'PEM CA bundle for mutual TLS on SIP: SBCs must present a certificate one of these CAs issued, and connections callscribe opens to an SBC verify its certificate against it too. Reloaded like the certificate.',
      ),
    sipTlsAllowedPeers: list(z.string().min(1))
      .default([])
      .describe(
        'With sipTlsCaFile: names the SBC certificate must carry, in its subject CN or a subjectAltName (`DNS:`, `IP:`, `URI:` or `CN:` to pick one field; `*.example.com` matches one label). Empty allows any certificate the CA issued. Applies together with sipAllowlist.',
      ),
    sipAdvertisedAddress: z
      .string()
      .optional()
      .describe(
        'Address put in Contact and SDP c= lines; default: the local address the INVITE arrived on.',
      ),
    sipMaxMessageBytes: z.coerce
      .number()
      .int()
      .positive()
      .default(65_536)
      .describe('Largest SIP message accepted.'),
    sipRateLimitPerSecond: z.coerce
      .number()
      .int()
      .positive()
      .default(500)
      .describe(
        'New requests per second accepted from one source address; beyond it, 503 with Retry-After.',
      ),
    sipT1Ms: z.coerce
      .number()
      .int()
      .min(10)
      .max(4000)
      .default(500)
      .describe(
        'RFC 3261 T1, the round-trip estimate: first retransmission interval over UDP; a transaction (and the wait for an ACK or for an answer to a request callscribe sends) lasts 64×T1.',
      ),
    sipMinSessionExpiresS: z.coerce
      .number()
      .int()
      .positive()
      .default(90)
      .describe(
        'Smallest RFC 4028 session interval (Session-Expires) accepted; a smaller one gets 422 with this Min-SE. RFC 4028 sets 90 s as the floor; lower values are for tests.',
      ),
    dialogProbeIntervalMs: positiveMs
      .default(60_000)
      .describe(
        'For a dialog without session timers: after this long with neither RTP nor SIP from the SRC, callscribe sends an in-dialog OPTIONS; a 481, a 408 or no answer ends the call (`dialog-lost`).',
      ),
    sipAllowlist: list(cidr)
      .default([])
      .describe('Source CIDRs allowed to send SIP; empty allows all.'),
    maxConcurrentCalls: z.coerce
      .number()
      .int()
      .positive()
      .default(1000)
      .describe(
        'Live calls on this node; beyond it, new INVITEs get 503 with Retry-After. Each call needs two RTP port pairs: size `rtpPorts` to match.',
      ),
    admissionMaxLagMs: positiveMs
      .default(200)
      .describe(
        'New INVITEs get 503 with Retry-After while the event-loop lag p99 of any thread that carries calls, over the last 3 s, is above this. The default is below T1/2, so an SBC never has to retransmit an INVITE because callscribe was slow to read it, and ten 20 ms packet intervals: far above a healthy loop (a few ms), far below where RTP is lost (about 1 s).',
      ),
    admissionMaxCpuPercent: z.coerce
      .number()
      .min(1)
      .max(100)
      .default(90)
      .describe(
        "New INVITEs get 503 with Retry-After while the process's CPU (all threads) over the last 3 s is above this percentage of the machine's cores: the rest is headroom for the calls already taken (their ends, pre-roll replays, engine catch-up).",
      ),
    admissionRetryAfterS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(5)
      .describe('Retry-After of a 503 sent because of the limits above, in seconds.'),
    callIdSource: z
      .string()
      .regex(
        /^(call-id|cisco-guid|header:[A-Za-z0-9-]+|metadata:(sessionId|sipSessionId|ucid|extension:[A-Za-z0-9:_-]+))$/,
      )
      .default('call-id')
      .describe(
        "Where the callId comes from: `call-id` (the INVITE's Call-ID), `cisco-guid`, `header:<Name>`, or `metadata:sessionId|sipSessionId|ucid|extension:<key>`. `cisco-guid` takes the recorded call's GUID from a CUCM Built-in-Bridge From URI (`x-farendguid`, else `x-nearendguid`), else the INVITE's `Cisco-Guid` header, as sent. For a paired Built-in-Bridge call, the first dialog's value names the call. Falls back to Call-ID when absent.",
      ),
    bibPairingWindowMs: positiveMs
      .default(5000)
      .describe(
        'Cisco CUCM Built-in-Bridge recording sends one dialog per voice (near end = AGENT, far end = CALLER), linked by the From URI parameters `x-refci` and `x-farendrefci`. The call starts with the first dialog; the second joins it when it arrives within this time. A dialog whose partner does not come is recorded alone, the other channel silent.',
      ),
    sipCodecs: list(codecName)
      .default(['opus', 'G722', 'PCMU', 'PCMA', 'G729'])
      .refine((names) => names.length > 0, 'must name at least one codec')
      .describe(
        'Codecs the SDP answer accepts, most preferred first (`opus`, `G722`, `PCMU`, `PCMA`, `G729`). The answer lists every offered codec in this list that this machine can decode, plus telephone-event; a codec whose library is missing is skipped. The default prefers wideband.',
      ),
    srtpPolicy: z
      .enum(['off', 'optional', 'required'])
      .default('optional')
      .describe(
        'SRTP with SDES keys (RFC 4568, `RTP/SAVP`/`RTP/SAVPF` with `a=crypto`, through `srtpLibrary`): `optional` answers each m-line in kind, `required` refuses plain RTP offers with 488 and a Warning, `off` declines SRTP m-lines (port 0) as before. Suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM; others get 488 naming these. `required` refuses to start without the SRTP library. DTLS-SRTP is not supported.',
      ),
    srtpLibrary: z
      .enum(SRTP_LIBRARY_NAMES)
      .default('libsrtp2')
      .describe(
        "The native library that verifies and decrypts SRTP: `libre` (Debian `libre0`, baresip's libre on OpenSSL 3) or `libsrtp2` (Debian `libsrtp2-1`, the reference implementation). Both speak the same RFC 3711 wire format and interoperate. `libsrtp2` is the default: libre changes a stream's state before it authenticates a packet, which callscribe works around (docs/sip.md). `libre` costs a quarter to a third less CPU per SRTP packet through the whole server, as Debian's libsrtp2 is built on NSS (docs/benchmarks.md).",
      ),
    rtpHost: z.string().default('0.0.0.0').describe('Address RTP sockets bind to.'),
    rtpPorts: portRange
      .default({ min: 40000, max: 40999 })
      .describe('RTP port range, allocated in even pairs (RTCP on port+1 is ignored).'),
    mediaWorkers: z.coerce
      .number()
      .int()
      .min(0)
      .max(64)
      .optional()
      .describe(
        "Worker threads for media: each owns a share of the calls and of `rtpPorts`, binds their RTP sockets, and runs their receive, decode, resampling, recording and speech-engine streams, so a call's audio never reaches the main thread (SIP, control, HTTP). Unset: one per core. 0: everything on the main thread. With a local engine (sherpa-onnx, pocketsphinx) every media worker runs its own engine, with its own decoder pool.",
      ),
    mediaTimeoutMs: positiveMs
      .default(60_000)
      .describe('A call with no RTP on any stream for this long is ended.'),
    audioChunkMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(500)
      .default(100)
      .describe(
        "Decoded audio goes to the speech engine and the recording in chunks this long, not packet by packet: less CPU per call (and fewer messages to speech workers), at most this much added to a segment's latency. 0 hands on every packet's audio at once.",
      ),
    preRollMs: z.coerce
      .number()
      .int()
      .min(0)
      .max(30_000)
      .default(0)
      .describe(
        'Audio kept from just before START_CALL_PROCESSING and fed to the engine (0: start at that moment, like LCA).',
      ),
    sbcProfiles: z
      .array(sbcProfileSchema)
      .default([])
      .describe(
        'Per-SBC caller/agent mapping rules (config file only). The first matching profile wins; otherwise the metadata rule, then label order.',
      ),

    engine: z
      .enum(['pocketsphinx', 'sherpa-onnx', 'aws-transcribe', 'fake'])
      .default('pocketsphinx')
      .describe('Speech engine.'),
    languageCode: z
      .string()
      .default('en-US')
      .describe('Default transcription language; the hook may override it per call.'),
    savePartialTranscripts: bool
      .default(true)
      .describe('Emit partial ADD_TRANSCRIPT_SEGMENT events (IsPartial: true).'),
    pocketsphinxModelDir: z
      .string()
      .default('/usr/share/pocketsphinx/model/en-us')
      .describe(
        'Directory of the Debian pocketsphinx-en-us model (en-us/, en-us.lm.bin, cmudict-en-us.dict).',
      ),
    pocketsphinxWorkers: z.coerce
      .number()
      .int()
      .positive()
      .max(64)
      .default(2)
      .describe('Decoder worker threads.'),
    pocketsphinxLanguageModel: z
      .string()
      .optional()
      .describe(
        'Language model to use instead of the generic one (e.g. a contact-center LM); path to an .lm/.lm.bin file.',
      ),
    sherpaModelDir: z
      .string()
      .optional()
      .describe(
        'Directory of a sherpa-onnx model as unpacked from its upstream release (streaming transducer, CTC or paraformer; or offline Whisper, Parakeet/NeMo, SenseVoice, Moonshine, paraformer, made live by VAD segmentation). The family is detected from file names and ONNX metadata.',
      ),
    sherpaModelType: z
      .enum(SHERPA_MODEL_TYPES)
      .optional()
      .describe('Model family, when detection from the directory should be overridden.'),
    sherpaWorkers: z.coerce
      .number()
      .int()
      .positive()
      .max(64)
      .default(1)
      .describe('sherpa-onnx worker threads; each loads the model once and decodes many streams.'),
    sherpaThreadsPerWorker: z.coerce
      .number()
      .int()
      .positive()
      .max(16)
      .default(1)
      .describe('ONNX Runtime threads inside each sherpa-onnx worker.'),
    sherpaVadModel: z
      .string()
      .optional()
      .describe(
        "Silero VAD model (silero_vad.onnx) that cuts offline models' audio into segments; default: silero_vad.onnx in the model directory if present, else the built-in energy gate.",
      ),
    sherpaMaxSegmentMs: positiveMs
      .default(15_000)
      .describe('Offline models: longest segment before it is decoded anyway (bounds latency).'),
    sherpaEndSilenceMs: positiveMs
      .default(500)
      .describe('Offline models: quiet time that ends a segment.'),
    sherpaPartialIntervalMs: z.coerce
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe(
        'Offline models: re-decode the open segment this often for partials; 0 turns them off.',
      ),
    awsRegion: z.string().default('us-east-1').describe('Amazon Transcribe region.'),
    awsTranscribeEndpoint: z
      .string()
      .url()
      .optional()
      .describe('Amazon Transcribe endpoint override (tests use a local fake).'),
    awsVocabularyName: z.string().optional().describe('Amazon Transcribe custom vocabulary.'),
    awsPiiRedaction: bool
      .default(false)
      .describe('Ask Amazon Transcribe to redact PII in transcripts.'),
    awsPiiEntityTypes: z.string().default('ALL').describe('PII entity types to redact.'),
    fakeEngineScript: z
      .string()
      .optional()
      .describe('JSON file with scripted results for the `fake` engine.'),
    engineReconnectMaxMs: positiveMs
      .default(10_000)
      .describe('Longest back-off between engine reconnects after a failure.'),
    vocabulary: list(z.string().min(1))
      .default([])
      .describe(
        'Custom vocabulary: product, plan and agent names to recognise. Comma-separated phrases, or the path of a file with one phrase per line (a single entry starting with `/` or `.`). Each engine maps it: sherpa-onnx transducers use the phrases as hotwords, PocketSphinx gets dictionary and language-model entries, Amazon Transcribe needs `awsVocabularyName`. See docs/speech-engines.md.',
      ),
    sherpaHotwordsScore: z.coerce
      .number()
      .positive()
      .default(2)
      .describe('sherpa-onnx: boost per token of a `vocabulary` phrase in modified beam search.'),
    engineFallback: z
      .enum(['pocketsphinx', 'sherpa-onnx', 'aws-transcribe', 'fake'])
      .optional()
      .describe(
        "Second engine that takes over a call's streams from the moment the primary refuses or fails them (quota, connection, credentials, or a crash after `engineRetryBudget` reconnects). Its own settings are the same keys as for a primary.",
      ),
    engineRetryBudget: z.coerce
      .number()
      .int()
      .min(0)
      .default(2)
      .describe(
        'With a fallback: reconnects to the primary after a crash before the fallback takes over (refusals switch at once).',
      ),
    engineFailbackMs: positiveMs
      .default(30_000)
      .describe(
        'After the primary failed a call, new calls use the fallback for this long, doubling with each further failure (up to 64x); then the primary is tried again.',
      ),

    recordCalls: bool
      .default(true)
      .describe(
        "Write a stereo WAV per call (caller left, agent right); the hook's shouldRecordCall can turn it off per call.",
      ),
    recordingFlushMs: z.coerce
      .number()
      .int()
      .min(20)
      .max(60_000)
      .default(1000)
      .describe(
        'Longest time recorded audio waits in memory before it is written, in one batch per call. A crash loses at most this much of each recording.',
      ),

    redisUrl: z
      .string()
      .optional()
      .describe(
        'redis:// (or rediss://) URL. When set, call store, event stream and control-event routing use Redis so several nodes can share calls. For a Redis Cluster, one or more comma-separated seed node URLs.',
      ),
    redisCluster: bool
      .default(false)
      .describe(
        'Connect to `redisUrl` as a Redis Cluster (7.0 or later: control events use sharded Pub/Sub).',
      ),
    nodeLeaseMs: positiveMs
      .default(10_000)
      .describe('Node heartbeat lease in Redis; a node silent this long is considered gone.'),
    redisKeyPrefix: z
      .string()
      .min(1)
      .regex(/^[^{}]+$/, 'must not contain { or } (they would change the hash slots of keys)')
      .default('callscribe:')
      .describe(
        'Prefix of every Redis key and channel name, so several deployments (or test runs) can share one Redis.',
      ),

    webUi: bool.default(true).describe('Serve the web UI at /.'),
  })
  .superRefine((config, ctx) => {
    const exposure = httpExposureProblem(config);
    if (exposure !== undefined)
      ctx.addIssue({ code: 'custom', path: ['httpHost'], message: exposure });
    for (const problem of tlsSettingsProblems(config)) {
      ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type SbcProfile = z.infer<typeof sbcProfileSchema>;
