// Debian's Chromium (`apt-get install chromium`) drives the browser tests: no browser is downloaded. One place for
// where it is and for the flags the offline, headless launches use.

/** The Chromium executable the browser tests launch: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const CHROMIUM: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a headless Chromium that talks to nothing but the page under test: no sandbox (CI runs as root), no GPU,
 * no QUIC, and none of the browser's own background traffic (first-run, component updates, sync).
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);
