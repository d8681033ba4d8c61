// The relay daemon as a real process for the CLI's end-to-end tests: in memory, on 127.0.0.1,
// every port chosen by the system unless the extra arguments say otherwise.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const relayMain = fileURLToPath(new URL('../../relay/dist/main.js', import.meta.url));

export interface RelayProcess {
  readonly child: ChildProcess;
  /** The first match of `re` in everything the relay printed so far or prints later. */
  output(re: RegExp): Promise<RegExpExecArray>;
  stop(): void;
}

export function startRelayProcess(args: readonly string[]): RelayProcess {
  const child = spawn(
    process.execPath,
    // ptpchat on any free ports too (its default 9011 may be taken); `args` may override them.
    [
      relayMain,
      '--memory',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--ptpchat-port',
      '0',
      '--ptpchat-udp-port',
      '0',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const watchers: {
    re: RegExp;
    resolve: (m: RegExpExecArray) => void;
    reject: (e: Error) => void;
  }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...watchers]) {
      const m = w.re.exec(out);
      if (m) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.once('exit', (code) => {
    for (const w of watchers.splice(0)) w.reject(new Error(`relay exited with ${code}: ${out}`));
  });
  return {
    child,
    output: (re) =>
      new Promise((resolve, reject) => {
        const m = re.exec(out);
        if (m) resolve(m);
        else watchers.push({ re, resolve, reject });
      }),
    stop: () => child.kill('SIGTERM'),
  };
}
