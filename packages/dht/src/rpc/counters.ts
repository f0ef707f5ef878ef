import type { DhtCounters } from '../node-types.js';

export function createCounters(): DhtCounters {
  return {
    received: 0,
    sent: 0,
    sendErrors: 0,
    requestsIn: { ping: 0, find: 0, get: 0, put: 0, refresh: 0, listen: 0, update: 0 },
    dropped: {
      malformed: 0,
      netid: 0,
      ratelimited: 0,
      blacklisted: 0,
      martian: 0,
      oversize: 0,
      selfOrZeroId: 0,
      unmatchedReply: 0,
      transactionsFull: 0,
      updatesThrottled: 0,
    },
    getRepliesTruncated: 0,
    selectRepliesTruncated: 0,
    errorsSent: 0,
    internalErrors: 0,
    errorsReceived: 0,
    timeouts: 0,
    retransmissions: 0,
    reassembly: { completed: 0, dropped: 0 },
  };
}
