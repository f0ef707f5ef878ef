export const PACKAGE = '@lanbox/turn-monitor';
