/**
 * The last decoded message of each request type (and the last reply), held for one reason: to keep
 * the object shapes V8 made for them alive between bursts of traffic.
 *
 * The decoders give a message its optional properties one by one (a message's `v`, a put's key
 * and token, a value's body). V8 reaches a shape made by adding a property only through a weak
 * link from the shape it grew from, and optimized code checks the shapes it was compiled for.
 * When a memory-reducing full GC (V8's memory reducer once the process goes quiet, or the
 * appliance's heap release after a burst of writes) finds no object of such a shape alive, it
 * frees the shape and throws away every function compiled against it: the whole request path
 * (decoder, engine, handlers, storage) ran in the interpreter again at the next burst and was
 * compiled anew (docs/performance-findings.md, "Filling a fresh store"). One live message per type keeps
 * them: a few hundred bytes, and at most one put's values.
 */
import type { Message, Request } from '../codec/types.js';

/** Slot of the last reply in {@link RecentMessages}; requests take 0..6 by type. */
const REPLY_SLOT = 7;

/** A switch, not a table lookup: a load keyed by the type's string would be megamorphic. */
function slotOf(type: Request['type']): number {
  switch (type) {
    case 'ping':
      return 0;
    case 'find':
      return 1;
    case 'get':
      return 2;
    case 'put':
      return 3;
    case 'listen':
      return 4;
    case 'refresh':
      return 5;
    case 'update':
      return 6;
  }
}

export class RecentMessages {
  /** Never read: holding them is the point. */
  private readonly held: Array<Message | undefined> = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];

  /** A request of type `type` was received. */
  request(type: Request['type'], msg: Message): void {
    this.held[slotOf(type)] = msg;
  }

  /** A reply to one of our requests was received. */
  replied(msg: Message): void {
    this.held[REPLY_SLOT] = msg;
  }
}
