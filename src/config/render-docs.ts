import type { z } from 'zod';
import { configSchema } from './schema.js';
import { envNameFor } from './load.js';

/** Renders docs/configuration.md from the schema, so the reference cannot drift from the code. */
export function renderConfigurationDoc(): string {
  const rows = Object.entries(configSchema.shape).map(([key, field]) => {
    const schema = field as z.ZodType;
    const description = schema.description ?? '';
    const parsed = configSchema.shape[key as keyof typeof configSchema.shape].safeParse(undefined);
    const fallback =
      parsed.success && parsed.data !== undefined ? `\`${formatDefault(parsed.data)}\`` : '—';
    return `| \`${key}\` | \`${envNameFor(key)}\` | ${fallback} | ${description.replace(/\|/g, '\\|')} |`;
  });
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`; a test fails when it is stale. -->',
    '',
    'Every setting can be given in an optional JSON config file (`--config FILE` or `CALLSCRIBE_CONFIG=FILE`, keys as in the first column)',
    'or as an environment variable (second column); the environment wins. Invalid values stop the server at start-up with',
    'every problem listed at once.',
    '',
    '| key | environment variable | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    'Lists (`accessKeys`, `sessionKeys`, `sipAllowlist`, `sipTransports`) are comma-separated in the environment and JSON arrays in the file;',
    '`accessKeys` entries are `ACCESS_KEY_ID:SECRET`, `sessionKeys` entries `ACCESS_KEY_ID:SECRET:SESSION_TOKEN` (or objects with `expiresAt` in the file). `rtpPorts` is `MIN-MAX` in the environment and `{ "min": 40000, "max": 40999 }` in the file.',
    '',
    '## SBC profiles (`sbcProfiles`, config file only)',
    '',
    '```json',
    '{',
    '  "sbcProfiles": [',
    '    { "name": "sonus", "matchUserAgent": "^Sonus", "mappingRule": "label-order", "firstLabelIs": "AGENT" },',
    '    { "name": "cube", "matchSourceCidrs": ["10.1.0.0/16"], "mappingRule": "agent-aor-pattern", "agentAorPattern": "^sip:7\\\\d{3}@" }',
    '  ]',
    '}',
    '```',
    '',
  ].join('\n');
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.join(',');
  if (typeof value === 'object' && value !== null && 'min' in value && 'max' in value) {
    const range = value as { min: number; max: number };
    return `${range.min}-${range.max}`;
  }
  return String(value);
}
