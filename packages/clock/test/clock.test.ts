/** The manual clock that every package's tests drive time with, and the real scheduler. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock, systemClock, systemScheduler } from '@lanbox/clock';

test('advance runs due tasks in deadline order, ties in scheduling order, and sets now to each deadline', () => {
  const clock = createManualClock(1000);
  const seen: string[] = [];
  clock.schedule(20, () => seen.push(`x@${clock.now()}`));
  clock.schedule(10, () => seen.push(`a@${clock.now()}`));
  clock.schedule(10, () => seen.push(`b@${clock.now()}`));
  clock.schedule(-5, () => seen.push(`neg@${clock.now()}`));
  clock.advance(15);
  assert.deepEqual(seen, ['neg@1000', 'a@1010', 'b@1010']);
  assert.equal(clock.now(), 1015);
  assert.equal(clock.pending(), 1);
  clock.advance(5);
  assert.deepEqual(seen.at(-1), 'x@1020');
  assert.equal(clock.pending(), 0);
});

test('tasks scheduled by a task run in the same advance when due; later ones wait', () => {
  const clock = createManualClock(0);
  const seen: number[] = [];
  const again = (): void => {
    seen.push(clock.now());
    clock.schedule(100, again);
  };
  clock.schedule(100, again);
  clock.advance(350);
  assert.deepEqual(seen, [100, 200, 300]);
  assert.equal(clock.pending(), 1);
});

test('a cancelled task never runs and is not pending', () => {
  const clock = createManualClock(0);
  let ran = false;
  const task = clock.schedule(10, () => {
    ran = true;
  });
  assert.equal(clock.pending(), 1);
  task.cancel();
  assert.equal(clock.pending(), 0);
  clock.advance(100);
  assert.equal(ran, false);
});

test('advanceAsync lets promise callbacks run between steps', async () => {
  const clock = createManualClock(0);
  const seen: string[] = [];
  // A task that awaits something, then schedules the next step: advance() alone would stop
  // before the continuation; advanceAsync reaches it within the same call.
  clock.schedule(10, () => {
    void Promise.resolve().then(() => clock.schedule(10, () => seen.push(`after await @${clock.now()}`)));
  });
  await clock.advanceAsync(100, 5);
  assert.deepEqual(seen, ['after await @20']);
  assert.equal(clock.now(), 100);
});

test('the system clock is the real time and the system scheduler runs and cancels real timers', async () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
  let cancelledRan = false;
  systemScheduler
    .schedule(0, () => {
      cancelledRan = true;
    })
    .cancel();
  // Its timers are unref'd (a service's sockets keep the process alive, not its timers), so a ref'd
  // guard keeps this test's process alive while it waits.
  const guard = setTimeout(() => undefined, 10_000);
  await new Promise<void>((resolve) => systemScheduler.schedule(0, resolve));
  clearTimeout(guard);
  assert.equal(cancelledRan, false);
});
