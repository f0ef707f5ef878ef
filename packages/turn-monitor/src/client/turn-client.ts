import type { TransportAddress } from '../codec/address.js';
import {
  readErrorCode,
  readText,
  readUint32,
  readXorAddress,
  requestedTransport,
  textAttribute,
  uint32Attribute,
  xorAddressAttribute,
} from '../codec/attributes.js';
import { Attr, Method } from '../codec/constants.js';
import { longTermKey, verifyIntegrity } from '../codec/integrity.js';
import type { DecodedMessage, StunAttribute } from '../codec/message.js';
import { TurnRequestError } from './errors.js';
import type { TransactionLayer } from './transactions.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface Allocation {
  readonly relayed: TransportAddress;
  readonly mapped: TransportAddress | undefined;
  readonly lifetime: number;
}

/** Attributes that depend on the transaction id (XOR addresses) are built per attempt. */
type AttributeBuilder = (transactionId: Uint8Array) => StunAttribute[];

/**
 * TURN client over one transaction layer with the long-term credential mechanism: learns REALM and
 * NONCE from a 401, signs later requests, takes a fresh NONCE from 438 and retries once
 * (RFC 5389 §10.2.3), and checks the MESSAGE-INTEGRITY of signed responses.
 */
export class TurnClient {
  #realm: string | undefined;
  #nonce: string | undefined;
  #key: Uint8Array | undefined;
  /** Times a 438 Stale Nonce was answered by retrying with the new nonce. */
  staleNonceRetries = 0;
  software: string | undefined;

  constructor(
    readonly tx: TransactionLayer,
    private readonly credentials: Credentials,
  ) {}

  get realm(): string | undefined {
    return this.#realm;
  }

  /** Binding request; resolves with our reflexive address. */
  async binding(): Promise<TransportAddress> {
    const res = await this.tx.request(
      { method: Method.Binding, cls: 'request', transactionId: this.tx.newTransactionId(), attributes: [] },
      { fingerprint: true },
    );
    this.#throwIfError(res);
    this.software = readText(res, Attr.Software) ?? this.software;
    const mapped = readXorAddress(res, Attr.XorMappedAddress);
    if (!mapped.ok) throw new TurnRequestError('protocol', `Binding response: XOR-MAPPED-ADDRESS ${mapped.error}`);
    return mapped.value;
  }

  /**
   * Unauthenticated Allocate, which a long-term-credential server must refuse with 401 carrying
   * REALM and NONCE. Resolves once both are learnt.
   */
  async challenge(transport: number): Promise<string> {
    const res = await this.tx.request(
      {
        method: Method.Allocate,
        cls: 'request',
        transactionId: this.tx.newTransactionId(),
        attributes: [requestedTransport(transport)],
      },
      { fingerprint: true },
    );
    if (res.cls === 'success') {
      throw new TurnRequestError('protocol', 'server allocated without credentials (long-term mechanism is off)');
    }
    const code = readErrorCode(res);
    if (!code.ok || code.value.code !== 401) this.#throwIfError(res);
    this.#learnChallenge(res);
    if (this.#realm === undefined || this.#nonce === undefined) {
      throw new TurnRequestError('protocol', '401 without REALM or NONCE');
    }
    return this.#realm;
  }

  async allocate(transport: number): Promise<Allocation> {
    const res = await this.signedRequest(Method.Allocate, () => [requestedTransport(transport)]);
    const relayed = readXorAddress(res, Attr.XorRelayedAddress);
    if (!relayed.ok) throw new TurnRequestError('protocol', `Allocate response: XOR-RELAYED-ADDRESS ${relayed.error}`);
    const mapped = readXorAddress(res, Attr.XorMappedAddress);
    return {
      relayed: relayed.value,
      mapped: mapped.ok ? mapped.value : undefined,
      lifetime: readUint32(res, Attr.Lifetime) ?? 0,
    };
  }

  async createPermission(peer: TransportAddress): Promise<void> {
    await this.signedRequest(Method.CreatePermission, (tid) => [peerAttribute(peer, tid)]);
  }

  /** Refresh with the given lifetime; 0 frees the allocation (RFC 5766 §7). */
  async refresh(lifetime: number): Promise<void> {
    await this.signedRequest(Method.Refresh, () => [uint32Attribute(Attr.Lifetime, lifetime)]);
  }

  /** RFC 6062 Connect: asks the server to open a TCP connection to `peer`; resolves with CONNECTION-ID. */
  async connect(peer: TransportAddress): Promise<number> {
    const res = await this.signedRequest(Method.Connect, (tid) => [peerAttribute(peer, tid)]);
    const id = readUint32(res, Attr.ConnectionId);
    if (id === undefined) throw new TurnRequestError('protocol', 'Connect response without CONNECTION-ID');
    return id;
  }

  /** RFC 6062 ConnectionBind, sent on a fresh data connection; after success that connection is raw. */
  async connectionBind(connectionId: number): Promise<void> {
    await this.signedRequest(Method.ConnectionBind, () => [uint32Attribute(Attr.ConnectionId, connectionId)]);
  }

  /** Send indication: relays `data` to `peer` from the relayed address (RFC 5766 §10). */
  send(peer: TransportAddress, data: Uint8Array): void {
    const tid = this.tx.newTransactionId();
    this.tx.indicate({
      method: Method.Send,
      cls: 'indication',
      transactionId: tid,
      attributes: [peerAttribute(peer, tid), { type: Attr.Data, value: data }],
    });
  }

  /** Reuses another client's realm and nonce, as a data connection does for its ConnectionBind. */
  adoptChallenge(from: TurnClient): void {
    this.#realm = from.#realm;
    this.#nonce = from.#nonce;
    this.#key = from.#key;
  }

  /** A request carrying USERNAME, REALM, NONCE and MESSAGE-INTEGRITY; one retry on 438. */
  async signedRequest(method: number, build: AttributeBuilder): Promise<DecodedMessage> {
    if (this.#key === undefined) throw new TurnRequestError('protocol', 'no challenge yet: realm and nonce unknown');
    for (let attempt = 0; ; attempt++) {
      const transactionId = this.tx.newTransactionId();
      const res = await this.tx.request(
        {
          method,
          cls: 'request',
          transactionId,
          attributes: [
            ...build(transactionId),
            textAttribute(Attr.Username, this.credentials.username),
            textAttribute(Attr.Realm, this.#realm ?? ''),
            textAttribute(Attr.Nonce, this.#nonce ?? ''),
          ],
        },
        { integrityKey: this.#key, fingerprint: true },
      );
      const code = readErrorCode(res);
      if (res.cls === 'error' && code.ok && code.value.code === 438 && attempt === 0) {
        this.staleNonceRetries++;
        this.#learnChallenge(res);
        continue;
      }
      this.#throwIfError(res);
      if (verifyIntegrity(res, this.#key) === false) {
        throw new TurnRequestError('protocol', 'response MESSAGE-INTEGRITY does not match our credentials');
      }
      return res;
    }
  }

  #learnChallenge(res: DecodedMessage): void {
    const realm = readText(res, Attr.Realm) ?? this.#realm;
    const nonce = readText(res, Attr.Nonce);
    if (realm === undefined || nonce === undefined) return;
    this.#realm = realm;
    this.#nonce = nonce;
    this.#key = longTermKey(this.credentials.username, realm, this.credentials.password);
  }

  #throwIfError(res: DecodedMessage): void {
    if (res.cls === 'success') return;
    const code = readErrorCode(res);
    if (!code.ok) throw new TurnRequestError('protocol', `error response with unreadable ERROR-CODE: ${code.error}`);
    throw new TurnRequestError('error-response', code.value.reason || 'error', code.value.code);
  }
}

function peerAttribute(peer: TransportAddress, transactionId: Uint8Array): StunAttribute {
  const attr = xorAddressAttribute(Attr.XorPeerAddress, peer, transactionId);
  if (!attr) throw new TurnRequestError('protocol', `peer address ${peer.address} is not an IP address`);
  return attr;
}
