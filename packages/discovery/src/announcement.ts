/**
 * Builds the box's own announcement per family from the DHT's current node id and ports (and,
 * with box-to-box discovery, the box id and web port).
 */
import { DHT_SERVICE, HASH_LENGTH, LANBOX_SERVICE, encodeAnnouncement, encodeBoxService, encodeDhtService } from './codec/messages.js';
import type { Family } from './transport/types.js';
import type { BoxComponent, DhtComponent, Logger } from './types.js';

/**
 * Each family's announcement, undefined for a family with nothing to publish; undefined as a
 * whole when the DHT's node id or ports cannot be read (the caller keeps what it had).
 */
export function buildAnnouncements(
  families: readonly Family[],
  dht: DhtComponent,
  box: BoxComponent | undefined,
  logger: Logger | undefined,
): Map<Family, Uint8Array | undefined> | undefined {
  let nodeId: Uint8Array;
  let ports: Record<Family, number | undefined>;
  try {
    nodeId = dht.nodeId();
    ports = { 4: dht.port(4), 6: dht.port(6) };
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, 'cannot read the DHT node id or ports');
    return undefined;
  }
  const validId = nodeId instanceof Uint8Array && nodeId.length === HASH_LENGTH;
  const networkOk = Number.isInteger(dht.networkId) && dht.networkId >= 0 && dht.networkId <= 0xffffffff;
  const built = new Map<Family, Uint8Array | undefined>();
  for (const f of families) {
    const port = ports[f];
    const services = new Map<string, Uint8Array>();
    if (validId && networkOk && port !== undefined && Number.isInteger(port) && port > 0 && port <= 0xffff) {
      services.set(DHT_SERVICE, encodeDhtService({ nodeId, port, networkId: dht.networkId }));
    }
    const boxEntry = box === undefined ? undefined : boxAnnouncement(box, logger);
    if (boxEntry !== undefined) services.set(LANBOX_SERVICE, boxEntry);
    built.set(f, services.size > 0 ? encodeAnnouncement(services) : undefined);
  }
  return built;
}

function boxAnnouncement(box: BoxComponent, logger: Logger | undefined): Uint8Array | undefined {
  try {
    const boxId = box.boxId();
    const webPort = box.webPort();
    if (!(boxId instanceof Uint8Array) || boxId.length !== HASH_LENGTH) return undefined;
    if (webPort === undefined || !Number.isInteger(webPort) || webPort <= 0 || webPort > 0xffff) return undefined;
    return encodeBoxService({ boxId, webPort });
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, 'cannot read the box id or web port');
    return undefined;
  }
}
