#!/usr/bin/env node
/**
 * A tiny call-initialization webhook: answers every hook POST the way park-all.mjs does.
 *
 *   node examples/hooks/webhook-server.mjs [port] [host]     (default 8090 127.0.0.1)
 *   CALLSCRIBE_HOOK=http://127.0.0.1:8090/hook callscribe serve
 *
 * Port 0 picks a free port; the address is printed on the first line of stdout.
 */
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import parkAll from './park-all.mjs';

const MAX_BODY_BYTES = 1024 * 1024;
const port = Number(process.argv[2] ?? 8090);
const host = process.argv[3] ?? '127.0.0.1';

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    reply(res, 405, { error: 'POST the hook event as JSON' });
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      reply(res, 413, { error: 'event too large' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', async () => {
    let event;
    try {
      event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      reply(res, 400, { error: 'body is not JSON' });
      return;
    }
    if (typeof event?.detail?.callId !== 'string') {
      reply(res, 400, { error: 'not a call-initialization hook event' });
      return;
    }
    try {
      const response = await parkAll(event);
      // Only the callId: the event also carries phone numbers and SIP headers.
      console.log(`parked call ${event.detail.callId}`);
      reply(res, 200, response);
    } catch (error) {
      console.error(`hook failed: ${error instanceof Error ? error.message : String(error)}`);
      reply(res, 500, { error: 'hook failed' });
    }
  });
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(`callscribe example webhook listening on http://${host}:${address.port}/hook`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
  });
}
