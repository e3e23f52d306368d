/**
 * A real headless Chromium (Debian's `chromium`, /usr/bin/chromium) driven by playwright-core, for
 * the report tests and the screenshot script. Nothing downloads a browser. Every request is routed
 * and failed: the page must not make any (the test asserts that the only one is the page itself).
 * Console errors, page errors and dialogs are recorded so a test can assert there were none.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface OpenedPage {
  page: Page;
  /** Console messages of type error, uncaught page errors, dialogs (alert/confirm/prompt) that fired. */
  errors: string[];
  dialogs: string[];
  /** Every request the page attempted (URL), including the page itself. */
  requests: string[];
  /** Milliseconds from navigation start to the page script's `data-ready`. */
  loadMs: number;
}

export class TestBrowser {
  private browser: Browser | null = null;
  private context: BrowserContext | null = null;
  private profile = '';

  async start(opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<void> {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (test.sh does)`);
    this.profile = mkdtempSync(join(tmpdir(), 'sshwarden-chromium-'));
    // A persistent context on a fresh, temporary user-data-dir (deleted in close()).
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
      colorScheme: opts.colorScheme ?? 'light',
      timeout: 60_000,
    });
    this.browser = this.context.browser();
  }

  async open(file: string, opts: { timeoutMs?: number } = {}): Promise<OpenedPage> {
    if (this.context === null) throw new Error('TestBrowser.start() first');
    const page = await this.context.newPage();
    const errors: string[] = [];
    const dialogs: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    await page.route('**/*', (route) => {
      const u = route.request().url();
      requests.push(u);
      if (u === url) return route.continue();
      return route.abort('blockedbyclient');
    });
    page.on('request', (r) => {
      if (!requests.includes(r.url())) requests.push(r.url());
    });
    const started = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: opts.timeoutMs ?? 60_000 });
    await page.waitForSelector('body[data-ready="1"]', { timeout: opts.timeoutMs ?? 60_000, state: 'attached' });
    const loadMs = Date.now() - started;
    return { page, errors, dialogs, requests, loadMs };
  }

  /** Opens a report page and asserts it is self-contained and clean: nothing referenced from elsewhere, no request but itself, no error, no dialog. */
  async openClean(file: string): Promise<OpenedPage> {
    assert.ok(!/<(script|link|img)[^>]+(src|href)=/i.test(readFileSync(file, 'utf8')), 'nothing loaded from elsewhere');
    const o = await this.open(file);
    assert.deepEqual(o.errors, []);
    assert.deepEqual(o.dialogs, []);
    assert.deepEqual([...new Set(o.requests)], [o.page.url()], 'the only request is the page itself');
    return o;
  }

  async close(): Promise<void> {
    try {
      await this.context?.close();
      await this.browser?.close();
    } finally {
      this.context = null;
      this.browser = null;
      if (this.profile) rmSync(this.profile, { recursive: true, force: true });
    }
  }
}

/** Non-background pixels of a canvas (alpha > 0), counted in the page. */
export async function canvasInkPixels(page: Page, selector: string): Promise<number> {
  // The function runs in the page (DOM types are not in this project's lib): typed structurally.
  type Canvas2D = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null };
  return page.$eval(selector, (c) => {
    const canvas = c as unknown as Canvas2D;
    const ctx = canvas.getContext('2d');
    if (ctx === null || canvas.width === 0 || canvas.height === 0) return 0;
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
    return n;
  });
}

/** The numbers shown in elements with data-num, as numbers. */
export async function shownNumbers(page: Page): Promise<Record<string, number>> {
  const pairs = await page.$$eval('[data-num]', (els) => els.map((e) => [e.getAttribute('data-num'), e.textContent] as [string, string]));
  return Object.fromEntries(pairs.map(([k, v]) => [k, Number(v.replace(/,/g, ''))]));
}
