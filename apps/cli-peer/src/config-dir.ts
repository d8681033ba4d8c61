import { homedir } from 'node:os';
import { join } from 'node:path';

/** peerwire's configuration folder (`$XDG_CONFIG_HOME/peerwire`, else `~/.config/peerwire`). */
export function configDir(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'peerwire');
}
