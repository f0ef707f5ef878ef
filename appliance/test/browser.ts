/**
 * Headless Chromium for the status-page tests: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser download), and a QR decoder independent of the one that drew the code (jsQR).
 */
import { chromium, type BrowserContext } from 'playwright-core';
import jsQRImport from 'jsqr';
import { PNG } from 'pngjs';

export const CHROMIUM = '/usr/bin/chromium';
// jsqr is CommonJS with types that declare an ES default export: at run time the default import is the function.
const jsQR = jsQRImport as unknown as typeof jsQRImport.default;

/** A fresh profile in `userDataDir`; `executablePath` may be a wrapper (e.g. into a network namespace). */
export function launchBrowser(userDataDir: string, executablePath = CHROMIUM): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    // As root: no sandbox; and nothing that would reach out of the test (updates, sync, QUIC).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The text of the QR code in a PNG screenshot, or null if none is found. */
export function decodeQr(png: Buffer): string | null {
  const img = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), img.width, img.height)?.data ?? null;
}
