/**
 * @lanbox/clock: the one time and timer abstraction every lanbox package takes (the DHT, the TURN
 * monitor, the appliance's systemd watchdog), so that protocol logic and its tests never sleep.
 */
export { createManualClock, systemClock, systemScheduler } from './clock.js';
export type { Clock, ManualClock, ScheduledTask, Scheduler } from './clock.js';
