import { readFile } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';

/**
 * The `vocabulary` setting as phrases: the listed phrases, or the lines of the file that a
 * single entry starting with `/` or `.` names (blank lines and `#` comments skipped).
 */
export async function loadVocabulary(setting: readonly string[]): Promise<string[]> {
  const only = setting.length === 1 ? setting[0] : undefined;
  if (only === undefined || !(only.startsWith('/') || only.startsWith('.'))) {
    return setting.map((p) => p.trim()).filter((p) => p !== '');
  }
  let text: string;
  try {
    text = await readFile(only, 'utf8');
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `vocabulary file cannot be read: ${only}`, { cause });
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
