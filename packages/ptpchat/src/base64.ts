import { fromBase64Url, toBase64Url } from '@peerwire/wire';
import { PtpchatError } from './errors.js';

/** Standard base64 with padding (RFC 4648 §4), as ptpchat emits it (spec §7.1). */
export function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}

/**
 * Decodes standard or URL-safe base64, padded or not (spec §7.1). Throws `BAD_BASE64`; with
 * `maxBytes`, text that would decode to more is refused before decoding.
 */
export function fromBase64(text: string, maxBytes = Number.POSITIVE_INFINITY): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */ && text.length - end < 2) end--;
  if (end < text.length && text.length % 4 !== 0) {
    throw new PtpchatError('BAD_BASE64', 'base64 padding is misplaced');
  }
  if (Math.floor((end * 3) / 4) > maxBytes) {
    throw new PtpchatError('BAD_BASE64', `base64 text decodes to more than ${maxBytes} bytes`);
  }
  const body = text.slice(0, end).replace(/\+/g, '-').replace(/\//g, '_');
  try {
    return fromBase64Url(body);
  } catch (cause) {
    throw new PtpchatError('BAD_BASE64', 'text is not base64', { cause });
  }
}
