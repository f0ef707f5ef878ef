/** The counters `status()` reports, all starting at zero (restarted by `start()`). */
import type { DiscoveryCounters } from './types.js';

export function zeroCounters(): DiscoveryCounters {
  return {
    datagramsReceived: 0,
    bytesReceived: 0,
    queriesReceived: 0,
    announcementsReceived: 0,
    repliesSent: 0,
    queriesSent: 0,
    announcementsSent: 0,
    droppedOversize: 0,
    droppedRateLimited: 0,
    droppedMalformed: 0,
    droppedUnexpected: 0,
    invalidServices: 0,
    unknownServices: 0,
    ignoredSelf: 0,
    ignoredOtherNetwork: 0,
    repliesRateLimited: 0,
    nodesHandedToDht: 0,
    nearbyNodesRefused: 0,
    nearbyAccountsRefused: 0,
    boxesHeard: 0,
    nearbyExpired: 0,
    joinErrors: 0,
    sendErrors: 0,
    openErrors: 0,
    rounds: 0,
  };
}
