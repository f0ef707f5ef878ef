/**
 * The appliance's version: injected by build.mjs from appliance/package.json; `dev` when run
 * from sources.
 */
declare const LANBOX_VERSION: string | undefined;

export const VERSION: string = typeof LANBOX_VERSION === 'string' ? LANBOX_VERSION : 'dev';
