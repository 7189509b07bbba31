/**
 * A real headless Chromium for the explorer's browser tests: the build that @sparticuz/chromium ships
 * inside its npm package (unpacked on first use), driven by puppeteer-core. Nothing is downloaded and
 * nothing is skipped: if the browser cannot start, the tests that need it fail.
 */
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';
import { usePerFile } from './per-file.js';

/** Quiet, offline and reproducible: no update checks, no sync, no first-run pages. */
const FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launchBrowser(): Promise<Browser> {
  const executablePath = await chromium.executablePath();
  return puppeteer.launch({ executablePath, headless: true, args: [...chromium.args, ...FLAGS] });
}

export function useBrowser(): () => Browser {
  return usePerFile('the browser', launchBrowser, (browser) => browser.close());
}
