/**
 * The dashboard in Debian's Chromium (playwright-core, headless): a cluster whose pool
 * starts nodes on demand, the page open on the manager, and a container launched that
 * needs a node. The page must show the node coming up, then Ready, then the container
 * running, without being reloaded. Screenshots go to test-artifacts/dashboard/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './support/test-cluster.js';

const ARTIFACTS = join(import.meta.dirname, '../test-artifacts/dashboard');

describe('the dashboard in a browser', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }); // prettier-ignore

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    cluster = new TestCluster({
      pools: { default: { driver: 'local', flavour: 'small', min: 0, max: 2 } },
      autoscaler: { scanIntervalMs: 500 },
    });
    const up = await cluster.micado('up');
    expect(up.code, up.stderr).toBe(0);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    const down = await cluster.destroy();
    expect(down.code, down.stderr).toBe(0);
    expect(await cluster.leftovers()).toEqual([]);
  });

  it('prints its address', async () => {
    const printed = await cluster.micado('dashboard');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.trim()).toBe(`http://${cluster.config.manager.listen}/`);
  });

  it('shows a node coming up, then Ready, then the container running, without a reload', async () => {
    await page.goto(`http://${cluster.config.manager.listen}/`);
    await page.locator('#link.live').waitFor();
    await page.locator('[data-node]').first().waitFor();
    const loadedAt = await page.evaluate(() => performance.timeOrigin);
    await shot('1-open');
    // Every node state the page shows, as it shows it: a state may last less than a
    // screenshot takes, but not less than a DOM mutation.
    // (A string: this file is type-checked without the DOM's types, as the rest.)
    await page.evaluate(`{
      const seen = (window.seen = []);
      const record = () => {
        for (const card of document.querySelectorAll('[data-node]')) {
          const entry = card.getAttribute('data-node') + ' ' + card.getAttribute('data-state');
          if (!seen.includes(entry)) seen.push(entry);
        }
      };
      new MutationObserver(record).observe(document.getElementById('nodes'), { childList: true, subtree: true });
    }`);

    const launch = await cluster.micado('launch', '-i', 'micado/base', '-n', 'web', '-s', 'sleep', '-a', '3600', '--memory', '300m', '--detach'); // prettier-ignore
    expect(launch.code, launch.stderr).toBe(0);
    // The container waits for a place; the pool's node is asked for, shown coming up, then Ready.
    const worker = page.locator('.card[data-node^="i-"][data-state="ready"]');
    await worker.waitFor({ timeout: 60_000 });
    const instance = await worker.getAttribute('data-node');
    await shot('2-ready');
    const seen = (await page.evaluate('window.seen')) as string[];
    expect(seen.filter((s) => s.startsWith(`${instance} `))).toEqual([`${instance} coming up`, `${instance} ready`]); // prettier-ignore
    await page.locator('tr[data-container="container-web"][data-state="running"]').waitFor({ timeout: 60_000 }); // prettier-ignore
    await expect(page.locator('tr[data-container="container-web"]').textContent()).resolves.toContain('1/1'); // prettier-ignore
    await expect(page.locator('#timeline').textContent()).resolves.toContain('scale-up');
    await shot('3-running');
    // The same page all along: never reloaded.
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(loadedAt);
  }, 180_000);
});
