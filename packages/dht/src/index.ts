export const PACKAGE = '@lanbox/dht';
