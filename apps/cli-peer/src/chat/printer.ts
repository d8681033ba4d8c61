/**
 * Where `peerwire chat` output goes: one JSON object per line on stdout (`--json`), or text
 * lines that do not trample the prompt being typed. Events are printed in the order they
 * happened, even when an attachment must be saved first.
 */
import { clearLine, cursorTo, type Interface } from 'node:readline';
import type { NodeId } from '@peerwire/ptpchat';
import type { CliError } from '../context.js';
import { saveAttachment } from './attachments.js';
import type { ChatResult } from './runner.js';
import type { ChatEvent } from './session.js';
import { eventText, resultText } from './text.js';

export class ChatPrinter {
  #queue: Promise<void> = Promise.resolve();
  #rl: Interface | undefined;
  self: NodeId = '';

  constructor(
    readonly json: boolean,
    readonly filesDir: string | undefined,
  ) {}

  /** The terminal's readline: text output is printed above its prompt. */
  attach(rl: Interface): void {
    this.#rl = rl;
  }

  /** No more prompt to redraw (quitting). */
  detach(): void {
    this.#rl = undefined;
  }

  readonly event = (e: ChatEvent): void => {
    this.#queue = this.#queue
      .then(() => this.#event(e))
      .catch((error: unknown) => {
        this.#line(
          this.json
            ? JSON.stringify({
                event: 'error',
                message: `cannot save an attachment: ${(error as Error).message}`,
              })
            : `cannot save an attachment: ${(error as Error).message}`,
          true,
        );
      });
  };

  async #event(e: ChatEvent): Promise<void> {
    const files: (string | undefined)[] = [];
    if (e.event === 'message' && this.filesDir !== undefined) {
      for (const a of e.attachments) files.push(await saveAttachment(this.filesDir, e.text, a));
    }
    if (this.json) {
      const out =
        e.event === 'message'
          ? {
              ...e,
              attachments: e.attachments.map((a, i) => ({
                type: a.type,
                size: a.data.length,
                data: Buffer.from(a.data).toString('base64'),
                ...(files[i] === undefined ? {} : { file: files[i] }),
              })),
            }
          : e;
      this.#line(JSON.stringify(out));
      return;
    }
    const text = eventText(e, this.self, files);
    if (text !== undefined) this.#line(text);
  }

  /** The answer to a command (after the events before it). */
  result(r: ChatResult, id?: string | number): Promise<void> {
    this.#queue = this.#queue.then(() => {
      if (this.json) this.#line(JSON.stringify(id === undefined ? r : { ...r, id }));
      else {
        const text = resultText(r);
        if (text !== '') this.#line(text);
      }
    });
    return this.#queue;
  }

  error(e: CliError, id?: string | number): Promise<void> {
    this.#queue = this.#queue.then(() => {
      if (this.json) {
        this.#line(
          JSON.stringify({
            event: 'error',
            message: e.message,
            exitCode: e.exitCode,
            ...(id === undefined ? {} : { id }),
          }),
        );
      } else this.#line(`error: ${e.message}`, true);
    });
    return this.#queue;
  }

  /** Resolves when everything queued so far is printed. */
  flush(): Promise<void> {
    return this.#queue;
  }

  #line(text: string, stderr = false): void {
    const rl = this.#rl;
    if (rl && !this.json && process.stdout.isTTY) {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
      (stderr ? process.stderr : process.stdout).write(`${text}\n`);
      rl.prompt(true);
      return;
    }
    (stderr ? process.stderr : process.stdout).write(`${text}\n`);
  }
}
