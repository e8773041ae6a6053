import { readFileSync } from 'node:fs';
import { AppError } from '../domain/errors.js';
import { configSchema, type Config } from './schema.js';

export const ENV_PREFIX = 'CALLSCRIBE_';

export function envNameFor(key: string): string {
  return ENV_PREFIX + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export interface LoadConfigOptions {
  /** The environment to read; injected so tests never touch process.env. */
  env?: Record<string, string | undefined>;
  /** JSON config file; default: CALLSCRIBE_CONFIG from env. */
  file?: string;
  /** Programmatic overrides (CLI flags, tests), applied last. */
  overrides?: Partial<Record<keyof Config, unknown>>;
}

/** Parses file + env + overrides, reports every problem at once, and freezes the result. */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const file = options.file ?? env[`${ENV_PREFIX}CONFIG`];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new AppError(
        'CONFIG_INVALID',
        `cannot read config file ${file}: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AppError('CONFIG_INVALID', `config file ${file} must hold a JSON object`);
    }
    Object.assign(raw, parsed);
  }
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[envNameFor(key)];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) raw[key] = value;
  }
  const unknownKeys = Object.keys(raw).filter((k) => !(k in configSchema.shape));
  const result = configSchema.safeParse(raw);
  const problems = [
    ...unknownKeys.map((k) => `${k}: unknown setting`),
    ...(result.success
      ? []
      : result.error.issues.map((i) => {
          const key = String(i.path[0] ?? '');
          const where =
            key in configSchema.shape ? `${key} (${envNameFor(key)})` : i.path.join('.');
          return `${where}${i.path.length > 1 ? '.' + i.path.slice(1).join('.') : ''}: ${i.message}`;
        })),
  ];
  if (problems.length > 0 || !result.success) {
    throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
