export const PACKAGE = '@lanbox/nameserver';
