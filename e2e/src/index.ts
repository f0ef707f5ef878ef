/**
 * The real-Jami end-to-end harness: a LAN of network namespaces, the box on it, Jami devices
 * (jamid over private D-Bus buses) on it, bounded waits, a step log and a teardown that undoes
 * everything by pid and name. See ../README.md for how the pieces fit.
 */
export { createSteps, type Steps, type StepsOptions, type StepRecord } from './steps.js';
export { createTeardown, type Teardown, type TeardownOptions } from './teardown.js';
export { waitFor, withTimeout, sleep, WaitTimeoutError, type WaitOptions } from './wait.js';
export { startTracked, type Tracked, type TrackOptions } from './process.js';
export { createLan, type Lan, type LanHost, type LanOptions } from './lan.js';
export { startBox, buildBundle, REPO_ROOT, type Box, type BoxOptions, type BoxStatus } from './box.js';
export { registerParty, requestConversation, swarmBothWays, type Party } from './conversation.js';
export { connectBus, type BusClient, type SignalRecord } from './dbus.js';
export {
  startJamiDevice,
  lanAccountDetails,
  proxyAccountDetails,
  NameRegistration,
  NameLookup,
  JAMID,
  type JamiDevice,
  type DeviceOptions,
  type Details,
  type BoxAddresses,
  type LookupResult,
} from './jami.js';
