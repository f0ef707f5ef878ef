/** What the box passes to the page when it serves it (server-side sections read it). */
export interface PageModel {
  hostname: string;
  version: string;
  /** Addresses clients can reach, IPv4 first. Empty when the box has no network address. */
  addresses: string[];
  dhtPort: number | null;
  nodeId: string | null;
  /** Name server URLs, one per address; null when the name server is off. */
  nameServerUrls: string[] | null;
  /** TURN values to type, or null when no TURN server is monitored. */
  turn: { addresses: string[]; username: string; password: string; realm: string } | null;
  /** The DHT proxy's address to type (`HOST:PORT`, Jami's "proxy address"), or why there is none. */
  proxy: { addresses: string[] } | { unavailable: string };
  /** The push service's URL to type into ntfy (its "default server"), one per address; null when push is off. */
  ntfyUrls: string[] | null;
  discovery: boolean;
  /**
   * The page's own address as the browser asked for it (`http://HOST[:PORT]/`), for the QR code;
   * null when the request carried no usable Host header.
   */
  pageUrl: string | null;
  /** The /api/status document at render time; the script starts from it. */
  initialStatus: object;
}
