/**
 * The steps every two-device run takes: an account registered on the DHT, a conversation request,
 * its acceptance, and swarm messages both ways. Each wait is bounded and each step goes through
 * the step log.
 */
import assert from 'node:assert/strict';
import type { Details, JamiDevice } from './jami.js';
import type { Steps } from './steps.js';

/** A device with the account it runs and that account's Jami ID. */
export interface Party {
  device: JamiDevice;
  account: string;
  uri: string;
}

/** Adds an account with these details and waits until it has its Jami ID and is REGISTERED. */
export async function registerParty(steps: Steps, device: JamiDevice, details: Details, timeoutMs: number): Promise<Party> {
  const account = await device.addAccount(details);
  const uri = await steps.step(`${device.name}: Jami ID generated`, () => device.accountUri(account));
  await steps.step(`${device.name}: REGISTERED on the DHT`, () => device.waitRegistered(account, timeoutMs));
  return { device, account, uri };
}

/**
 * `from` sends `to` a conversation request (addressed to `address`, e.g. an ID resolved by name),
 * `to` accepts it, and the call returns once the conversation is ready on `to` and `from` has seen
 * `to` join. Returns the conversation id.
 */
export async function requestConversation(steps: Steps, from: Party, to: Party, address: string, timeoutMs: number): Promise<string> {
  const sinceTo = to.device.mark();
  const sinceFrom = from.device.mark();
  await steps.step('B sends A a conversation request (sendTrustRequest)', () => from.device.sendConversationRequest(from.account, address));
  const conversation = await steps.step('A receives the request', () => to.device.waitConversationRequest(to.account, from.uri, { since: sinceTo, timeoutMs }));
  await steps.step('A accepts; the conversation is ready on A', async () => {
    await to.device.acceptConversationRequest(to.account, conversation);
    await to.device.waitConversationReady(to.account, conversation, { since: sinceTo, timeoutMs });
  });
  await steps.step('B sees A join the conversation', () =>
    from.device.waitSignal('conversationMemberEvent', (b) => b[0] === from.account && b[1] === conversation && b[2] === to.uri && b[3] === 1, {
      since: sinceFrom,
      timeoutMs,
      what: 'A joining on B',
    }),
  );
  return conversation;
}

/** Swarm messages (git commits synced over the devices' ICE/TLS connection): B → A, then A → B. */
export async function swarmBothWays(steps: Steps, conversation: string, a: Party, b: Party, tag: string, timeoutMs: number): Promise<void> {
  for (const [from, to, label] of [
    [b, a, 'B → A'],
    [a, b, 'A → B'],
  ] as const) {
    const text = `swarm ${label} ${tag}`;
    const since = to.device.mark();
    await steps.step(`swarm message ${label}`, async () => {
      await from.device.sendSwarmMessage(from.account, conversation, text);
      const m = await to.device.waitSwarmMessage(to.account, conversation, text, { since, timeoutMs });
      assert.equal(m.author, from.uri);
    });
  }
}
