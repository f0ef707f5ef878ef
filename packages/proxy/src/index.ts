export const PACKAGE = '@lanbox/proxy';
