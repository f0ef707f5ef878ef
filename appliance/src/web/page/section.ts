/**
 * What one block of the status page is made of. A section renders in two places:
 * - `html(model)` on the box, once per page load (values that need the request or the config);
 * - `live`, in the browser, on every poll of /api/status (everything that changes).
 * Both are optional. See the note at the top of ../status-page.ts for how to add one.
 */
import type { PageModel } from './model.js';

export interface PageSection {
  /** The `<section>`'s DOM id: stable, used by tests, CSS and links. Letters, digits and '-'. */
  readonly id: string;
  /** Heading, plain text. */
  readonly title: string;
  /** One sentence under the heading (trusted HTML written here, never data). */
  readonly lead?: string;
  /** Server-side HTML from the page model. Escape every value with `esc()`. */
  readonly html?: (m: PageModel) => string;
  /**
   * Browser code: the source text of `function (st, el, h) { … }`, called with the parsed
   * /api/status document, the section's live container (emptied before each call) and the
   * helpers of ./client.ts. Build nodes only through `h` (text goes in through textContent, so
   * nothing from the network is parsed as HTML). Return `false` to hide the whole section
   * (e.g. when the service it shows does not exist in /api/status).
   * Written for old phone browsers: ES5, no arrow functions, no template literals.
   */
  readonly live?: string;
  /** CSS rules the section needs, added to the page's one stylesheet. */
  readonly style?: string;
}

/** Escapes text for HTML element content and attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
