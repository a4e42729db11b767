// Debian's Chromium for the browser tests and benchmarks, headless, through playwright-core,
// with the flags this machine needs (no sandbox as root; no background networking, whose
// connections a closed network refuses).

import {chromium} from 'playwright-core';

/** Launches the browser. */
export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
