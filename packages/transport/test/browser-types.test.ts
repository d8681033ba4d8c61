// The browser adapter's `WebSocket` option must accept the real DOM `WebSocket` class. The root
// tsconfig has no DOM types, so this compiles a small file against lib.dom with the TS API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('./.tmp/dom-check/', import.meta.url));

function diagnostics(source: string): string[] {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}check.ts`;
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    types: [],
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('browser adapter types', () => {
  it('accepts the DOM WebSocket class', () => {
    const errors = diagnostics(`
      import { connectBrowserWebSocket, type BrowserWebSocketConstructor } from '../../../src/index.js';
      const ctor: BrowserWebSocketConstructor = WebSocket;
      void connectBrowserWebSocket('wss://example.test/_websocket', { WebSocket });
      void ctor;
    `);
    expect(errors).toEqual([]);
  });

  it('rejects a class that is not a WebSocket (so the check above can fail)', () => {
    const errors = diagnostics(`
      import type { BrowserWebSocketConstructor } from '../../../src/index.js';
      const ctor: BrowserWebSocketConstructor = XMLHttpRequest;
      void ctor;
    `);
    expect(errors.length).toBeGreaterThan(0);
  });
});
