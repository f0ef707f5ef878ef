import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTurnMonitor, TurnMonitorConfigError } from '../src/index.js';
import { parseTurnUrl, turnServerConfig } from '../src/monitor/server-url.js';
import { MemoryStore } from './helpers/memory-store.js';

describe('turn:// URLs', () => {
  it('parses user, password, host and port and drops the password from the display URL', () => {
    assert.deepEqual(parseTurnUrl('turn://ring:ring@127.0.0.1:3478'), {
      ok: true,
      value: { url: 'turn://ring@127.0.0.1:3478', host: '127.0.0.1', port: 3478, username: 'ring', password: 'ring' },
    });
  });

  it('accepts IPv6 literals, host names, percent-encoded secrets and a missing port (3478, as Jami)', () => {
    const v6 = parseTurnUrl('turn://a:b@[fd00::1]:5000');
    assert.ok(v6.ok);
    assert.equal(v6.value.host, 'fd00::1');
    assert.equal(v6.value.url, 'turn://a@[fd00::1]:5000');
    const named = parseTurnUrl('turn://u:p%40ss@turn.lan');
    assert.ok(named.ok);
    assert.equal(named.value.port, 3478);
    assert.equal(named.value.password, 'p@ss');
  });

  it('rejects bad URLs with a message that names the problem and hides the password', () => {
    const cases: [string, RegExp][] = [
      ['nonsense', /not a URL/],
      ['stun://a:b@h:1', /scheme must be turn:/],
      ['turns://a:b@h:1', /scheme must be turn:/],
      ['turn://h:3478', /user and password/],
      ['turn://user@h:3478', /user and password/],
      ['turn://a:b@h:3478/x', /path/],
      ['turn://a:b@h:3478?transport=tcp', /query/],
    ];
    for (const [text, pattern] of cases) {
      const r = parseTurnUrl(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.error, pattern, text);
    }
    const secret = parseTurnUrl('stun://user:hunter2@h:1');
    assert.ok(!secret.ok && !secret.error.includes('hunter2'));
    assert.equal(parseTurnUrl('turn://a:b@h:99999').ok, false);
  });
});

describe('servers given as values', () => {
  it('give the same display URL as the equivalent turn:// text, without a text round trip', () => {
    const fromText = parseTurnUrl('turn://ring:ring@[fd00::1]:3478');
    const fromValues = turnServerConfig({ host: 'fd00::1', port: 3478, username: 'ring', password: 'ring' });
    assert.deepEqual(fromValues, fromText);
    const odd = turnServerConfig({ host: 'turn.lan', port: 5349, username: 'a:b', password: 'p@ss/word' });
    assert.ok(odd.ok);
    assert.equal(odd.value.password, 'p@ss/word', 'no percent-decoding of values that were never encoded');
    assert.equal(odd.value.url, 'turn://a%3Ab@turn.lan:5349');
  });

  it('are checked like URLs, and a monitor refuses a bad one', () => {
    for (const [entry, pattern] of [
      [{ host: '', port: 3478, username: 'a', password: 'b' }, /host/],
      [{ host: 'h', port: 0, username: 'a', password: 'b' }, /port/],
      [{ host: 'h', port: 3478, username: '', password: 'b' }, /user and password/],
    ] as const) {
      const r = turnServerConfig(entry);
      assert.ok(!r.ok && pattern.test(r.error), JSON.stringify(entry));
    }
    assert.throws(
      () => createTurnMonitor({ servers: [{ host: 'h', port: 70000, username: 'a', password: 'b' }] }, { clock: { now: () => 0 }, store: new MemoryStore() }),
      TurnMonitorConfigError,
    );
  });
});
