export const PACKAGE = '@lanbox/discovery';
