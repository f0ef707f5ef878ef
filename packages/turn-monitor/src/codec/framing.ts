import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';

/** What one call to {@link StreamFramer.push} yields. `error` means the stream is out of sync and must be closed. */
export interface FramerOutput {
  frames: Uint8Array[];
  error?: string;
}

/**
 * Splits a TCP byte stream into STUN messages and ChannelData frames (RFC 5766 §11.5):
 * a STUN message is 20 bytes plus its length field; ChannelData (top bits 01) is 4 bytes plus its
 * length, padded to 4 over TCP. Holds at most one frame's worth of bytes.
 */
export class StreamFramer {
  #pending: Buffer = Buffer.alloc(0);
  #broken = false;

  /** Bytes received but not yet forming a frame (handed over when the stream switches to raw data). */
  leftover(): Uint8Array {
    return this.#pending;
  }

  push(chunk: Uint8Array): FramerOutput {
    if (this.#broken) return { frames: [], error: 'stream already out of sync' };
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const frames: Uint8Array[] = [];
    while (this.#pending.length >= 4) {
      const first = this.#pending[0] as number;
      const length = this.#pending.readUInt16BE(2);
      let size: number;
      if (first < 0x40) size = HEADER_LENGTH + length;
      else if (first < 0x80) size = 4 + ((length + 3) & ~3);
      else {
        this.#broken = true;
        return { frames, error: 'neither STUN nor ChannelData' };
      }
      if (size > MAX_MESSAGE_LENGTH) {
        this.#broken = true;
        return { frames, error: 'frame too long' };
      }
      if (this.#pending.length < size) break;
      frames.push(this.#pending.subarray(0, size));
      this.#pending = this.#pending.subarray(size);
    }
    return { frames };
  }
}
