// `peerwire chat` input: slash lines, JSON command lines, node addresses, file names.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatUsageError, parseJsonCommand, parseSlashLine } from '../src/chat/commands.js';
import { parseChatTarget } from '../src/chat/target.js';
import { mimeTypeOf, safeFileName, shortId } from '../src/chat/views.js';
import { CliError } from '../src/context.js';

describe('slash lines', () => {
  it('parses every command', () => {
    expect(parseSlashLine('/channels')).toEqual({ cmd: 'channels' });
    expect(parseSlashLine('/join general')).toEqual({ cmd: 'join', channel: 'general' });
    expect(parseSlashLine('/JOIN #general')).toEqual({ cmd: 'join', channel: '#general' });
    expect(parseSlashLine('/leave')).toEqual({ cmd: 'leave' });
    expect(parseSlashLine('/create ops --closed')).toEqual({
      cmd: 'create',
      name: 'ops',
      closed: true,
    });
    expect(parseSlashLine('/create --closed ops')).toEqual({
      cmd: 'create',
      name: 'ops',
      closed: true,
    });
    expect(parseSlashLine('/create lobby')).toEqual({
      cmd: 'create',
      name: 'lobby',
      closed: false,
    });
    expect(parseSlashLine('/invite bob')).toEqual({ cmd: 'invite', node: 'bob' });
    expect(parseSlashLine('/send my notes.txt')).toEqual({ cmd: 'send', file: 'my notes.txt' });
    expect(parseSlashLine('/members')).toEqual({ cmd: 'members' });
    expect(parseSlashLine('/members ops')).toEqual({ cmd: 'members', channel: 'ops' });
    expect(parseSlashLine('/online')).toEqual({ cmd: 'online' });
    expect(parseSlashLine('/connect bob@1f2e')).toEqual({ cmd: 'connect', node: 'bob@1f2e' });
    expect(parseSlashLine('/path bob')).toEqual({ cmd: 'path', node: 'bob' });
    expect(parseSlashLine('/help')).toEqual({ cmd: 'help' });
    expect(parseSlashLine('/quit')).toEqual({ cmd: 'quit' });
  });

  it('says plain text, // escapes a leading slash, empty lines do nothing', () => {
    expect(parseSlashLine('hello there')).toEqual({ cmd: 'say', text: 'hello there' });
    expect(parseSlashLine('//join is a command')).toEqual({
      cmd: 'say',
      text: '/join is a command',
    });
    expect(parseSlashLine('   ')).toBeUndefined();
  });

  it('refuses bad usage with what the command takes', () => {
    expect(() => parseSlashLine('/join')).toThrow(/usage: \/join <channel>/);
    expect(() => parseSlashLine('/join a b')).toThrow(ChatUsageError);
    expect(() => parseSlashLine('/create')).toThrow(/usage: \/create <name> \[--closed\]/);
    expect(() => parseSlashLine('/create a b')).toThrow(ChatUsageError);
    expect(() => parseSlashLine('/invite')).toThrow(/usage: \/invite <node>/);
    expect(() => parseSlashLine('/send')).toThrow(/usage: \/send <file>/);
    expect(() => parseSlashLine('/dance')).toThrow(/unknown command \/dance; \/help/);
  });

  it('any line gives a command, nothing, or a ChatUsageError (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `/${s}`),
        ),
        (line) => {
          try {
            const cmd = parseSlashLine(line);
            if (cmd !== undefined) expect(typeof cmd.cmd).toBe('string');
          } catch (error) {
            expect(error).toBeInstanceOf(ChatUsageError);
          }
        },
      ),
    );
  });
});

describe('JSON command lines', () => {
  it('parses commands with their fields and echoes the id', () => {
    expect(parseJsonCommand('{"cmd":"create","name":"ops","closed":true,"id":1}')).toEqual({
      cmd: 'create',
      name: 'ops',
      closed: true,
      id: 1,
    });
    expect(parseJsonCommand('{"cmd":"create","name":"lobby"}')).toEqual({
      cmd: 'create',
      name: 'lobby',
      closed: false,
    });
    expect(parseJsonCommand('{"cmd":"say","channel":"ops","text":"hi","id":"a"}')).toEqual({
      cmd: 'say',
      channel: 'ops',
      text: 'hi',
      id: 'a',
    });
    expect(parseJsonCommand('{"cmd":"send","file":"/tmp/x.png","type":"image/png"}')).toEqual({
      cmd: 'send',
      file: '/tmp/x.png',
      type: 'image/png',
    });
    expect(parseJsonCommand('')).toBeUndefined();
  });

  it('refuses what is not a command, naming the problem', () => {
    expect(() => parseJsonCommand('{oops')).toThrow(/not JSON/);
    expect(() => parseJsonCommand('[1]')).toThrow(/JSON object/);
    expect(() => parseJsonCommand('{"cmd":"dance"}')).toThrow(/"cmd" must be one of/);
    expect(() => parseJsonCommand('{"cmd":"join"}')).toThrow(/join: "channel" is required/);
    expect(() => parseJsonCommand('{"cmd":"join","channel":5}')).toThrow(/non-empty string/);
    expect(() => parseJsonCommand('{"cmd":"join","chanel":"x"}')).toThrow(/unknown field "chanel"/);
    expect(() => parseJsonCommand('{"cmd":"create","name":"x","closed":"yes"}')).toThrow(
      /"closed" must be true or false/,
    );
    expect(() => parseJsonCommand('{"cmd":"quit","id":{}}')).toThrow(/"id" must be/);
    expect(() => parseJsonCommand('{"cmd":"toString"}')).toThrow(/"cmd" must be one of/);
  });

  it('arbitrary JSON gives a command or a ChatUsageError (fast-check)', () => {
    const cmd = fc.constantFrom('join', 'say', 'create', 'invite', 'send', 'quit', 'online', 'x');
    const value = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          cmd,
          channel: fc.jsonValue(),
          text: fc.jsonValue(),
          name: fc.jsonValue(),
          closed: fc.jsonValue(),
          id: fc.jsonValue(),
        },
        { requiredKeys: ['cmd'] },
      ),
    );
    fc.assert(
      fc.property(value, (v) => {
        try {
          parseJsonCommand(JSON.stringify(v) ?? 'null');
        } catch (error) {
          expect(error).toBeInstanceOf(ChatUsageError);
        }
      }),
    );
  });
});

describe('node addresses', () => {
  it('host:port, [ipv6]:port, bare hosts (port 9011)', () => {
    expect(parseChatTarget('127.0.0.1:9011', 'node')).toEqual({ host: '127.0.0.1', port: 9011 });
    expect(parseChatTarget('relay.example:7000', 'node')).toEqual({
      host: 'relay.example',
      port: 7000,
    });
    expect(parseChatTarget('[::1]:7000', 'node')).toEqual({ host: '::1', port: 7000 });
    expect(parseChatTarget('[::1]', 'node')).toEqual({ host: '::1', port: 9011 });
    expect(parseChatTarget('::1', 'node')).toEqual({ host: '::1', port: 9011 });
    expect(parseChatTarget('localhost', 'node')).toEqual({ host: 'localhost', port: 9011 });
  });

  it('refuses URLs, bad ports and empty hosts as usage errors (exit 2)', () => {
    for (const bad of ['ws://127.0.0.1:9011', 'h:0', 'h:65536', 'h:12x', ':9011', 'a b:1']) {
      let caught: unknown;
      try {
        parseChatTarget(bad, '--node');
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(CliError);
      expect((caught as CliError).exitCode).toBe(2);
      expect((caught as CliError).message).toMatch(/^--node: .*host:port/);
    }
  });
});

describe('views', () => {
  it('short ids, MIME types, safe file names', () => {
    expect(shortId('alice@1f2e3d4c-0000-4000-8000-000000000000')).toBe('alice@1f2e3d4c');
    expect(mimeTypeOf('a.PNG')).toBe('image/png');
    expect(mimeTypeOf('notes.txt')).toBe('text/plain');
    expect(mimeTypeOf('blob')).toBe('application/octet-stream');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('..')).toBe('attachment');
    expect(safeFileName('C:\\x\\évil$.txt')).toBe('_vil_.txt');
    expect(safeFileName('.hidden')).toBe('hidden');
    expect(safeFileName(' .')).toBe('attachment'); // found by fast-check
    expect(safeFileName('. .a ')).toBe('a');
    fc.assert(
      fc.property(fc.string(), (s) => {
        const name = safeFileName(s);
        expect(name).toMatch(/^[A-Za-z0-9._ -]{1,128}$/);
        expect(name).not.toMatch(/^\./);
        expect(name.includes('/')).toBe(false);
      }),
    );
  });
});
