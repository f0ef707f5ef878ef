import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLevel } from 'memory-level';
import { RECENT_NAMES } from '../src/index.js';
import { httpRequest, makeAccounts, registrationBody, startHarness } from './helpers.js';

describe('status().recent: the latest registrations for the status page', () => {
  it('lists the newest first, survives a reopen, and forgets a removed name', async () => {
    const db = new MemoryLevel<string, string>();
    const accounts = await makeAccounts(RECENT_NAMES + 2);
    const h = await startHarness({ adminToken: 'operator-secret-0123456789' }, db);
    try {
      assert.deepEqual(h.server.status().recent, []);
      for (const [i, a] of accounts.entries()) {
        h.clock.t += 1000;
        assert.equal((await httpRequest(h.port, 'POST', `/name/name-${i}`, registrationBody(a, `name-${i}`))).status, 200);
      }
      const names = (r: readonly { name: string }[]) => r.map((x) => x.name);
      const expected = accounts
        .map((_, i) => `name-${i}`)
        .reverse()
        .slice(0, RECENT_NAMES);
      assert.deepEqual(names(h.server.status().recent), expected);
      const first = h.server.status().recent[0];
      assert.equal(first?.addr, accounts[accounts.length - 1]?.addr);
      assert.equal(first?.registeredAt, h.clock.t);

      assert.equal(await h.server.removeName(expected[0] as string), true);
      assert.deepEqual(names(h.server.status().recent), expected.slice(1));
    } finally {
      await h.stop();
    }
    // A restart rebuilds the list from what is stored (now including the older names again).
    const again = await startHarness({}, db);
    try {
      const expected = accounts
        .map((_, i) => `name-${i}`)
        .reverse()
        .slice(1, RECENT_NAMES + 1);
      assert.deepEqual(
        again.server.status().recent.map((x) => x.name),
        expected,
      );
    } finally {
      await again.stop();
    }
  });
});
