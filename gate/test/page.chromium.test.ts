import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createSigner } from 'fast-jwt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  couponIdOf,
  couponRedeemedSchema,
  lifecycleEventIdOf,
  redemptionIdOf,
} from '@rediclaim/core';
import {
  createTestTopics,
  repoRoot,
  testKafka,
  uniqueName,
  waitFor,
} from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';

/**
 * The waiting-room page in real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) against a gate running in this process on the test stack's Redis and
 * Kafka; the issuer is simulated over Kafka. Screenshots of the main states go to
 * .rediclaim/test/screenshots/ (printed at the end).
 */
const TENANT = 'page-shop';
const SHOTS = path.join(repoRoot, '.rediclaim', 'test', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Playwright adds a fresh temporary --user-data-dir itself; without the network flags
// Chromium keeps calling Google's hosts, which this machine refuses.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ids = {
  flow: uniqueName('flow'),
  place: uniqueName('place'),
  soldOut: uniqueName('soldout'),
  later: uniqueName('later'),
  soon: uniqueName('soon'),
  preQueue: uniqueName('preq'),
  full: uniqueName('full'),
  stuck: uniqueName('stuck'),
  rejected: uniqueName('rejected'),
  ended: uniqueName('ended'),
  phone: uniqueName('phone'),
  lang: uniqueName('lang'),
  jwt: uniqueName('jwt'),
  used: uniqueName('used'),
  refused: uniqueName('refused'),
  pow: uniqueName('pow'),
};
const JWT_SECRET = 'a-jwt-secret-for-page-tests-long-enough';

let topics: Topics;
let sim: IssuerSim;
let g: InProcessGate;
let base: string;
let browser: Browser;
const events = new SuiteEvents(TENANT);
const contexts: BrowserContext[] = [];
/** Console errors and uncaught exceptions of every page (a CSP violation is one). */
const pageErrors: string[] = [];

const q = encodeURIComponent;
const apiJoin = (ev: string, user: string) =>
  g.http({ method: 'POST', url: `/v1/events/${ev}/queue?userId=${q(user)}` });
const apiStatus = async (ev: string, user: string) =>
  (await g.http({ url: `/v1/events/${ev}/queue/me?userId=${q(user)}` })).json();

async function newPage(
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  contexts.push(context);
  const page = await context.newPage();
  watch(page);
  return { context, page };
}

function watch(page: Page): void {
  page.on('console', (m) => {
    // Chromium logs every 4xx/5xx and failed request; the page expects those.
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text()))
      pageErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
}

const pageUrl = (ev: string) => `${base}/events/${ev}`;
const stateOf = (page: Page) => page.locator('#view').getAttribute('data-state');
const untilState = (page: Page, state: string, timeout = 15_000) =>
  page.waitForSelector(`#view[data-state="${state}"]`, { timeout });
const textOf = async (page: Page, selector: string) =>
  ((await page.locator(selector).textContent()) ?? '').trim();
const numberOf = async (page: Page, selector: string) =>
  Number((await textOf(page, selector)).replace(/[^\d]/g, ''));
const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const storedPlace = (page: Page, ev: string) =>
  page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null'), `rediclaim.place.${ev}`);
const noHorizontalScroll = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
/** Who tells the page about changes now (push.js): connecting, live, polling, off. */
const updatesOf = (page: Page) =>
  page.evaluate(() => document.documentElement.dataset.updates ?? 'none');

/** The page's status traffic: polls (GET .../queue/me) and the streams it opened. */
function statusTraffic(page: Page): { polls: number; streams: string[]; answers: number[] } {
  const traffic = { polls: 0, streams: [] as string[], answers: [] as number[] };
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.endsWith('/queue/me')) traffic.polls += 1;
    else if (url.pathname.endsWith('/queue/me/stream'))
      traffic.streams.push(url.searchParams.get('ticket') ?? '');
  });
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.endsWith('/queue/me/stream')) traffic.answers.push(r.status());
  });
  return traffic;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  topics = { ...(await suiteTopics('page')), coupons: uniqueName('page-cpn') };
  await createTestTopics([{ topic: topics.coupons! }]);
  events.define(ids.flow, { rate: 1, stock: 1_000 });
  events.define(ids.place, { mode: 'paused' });
  events.define(ids.soldOut, { rate: 200, stock: 1 });
  events.define(ids.later, { preQueueInMs: 3_600_000, opensInMs: 7_200_000 });
  events.define(ids.soon, { opensInMs: 3_600_000 });
  events.define(ids.preQueue, { preQueueInMs: -60_000, opensInMs: 3_600_000 });
  events.define(ids.full, { mode: 'paused', maxQueueLength: 1 });
  events.define(ids.stuck, { rate: 200, processingTimeoutSeconds: 600 });
  events.define(ids.rejected, { rate: 200 });
  events.define(ids.ended, { opensInMs: -7_200_000, closesInMs: -3_600_000 });
  events.define(ids.phone, { rate: 200 });
  events.define(ids.lang, { mode: 'paused' });
  events.define(ids.jwt, { mode: 'paused' });
  events.define(ids.used, { rate: 200 });
  events.define(ids.refused, { rate: 1, stock: 1_000 });
  events.define(ids.pow, {
    mode: 'paused',
    proofOfWork: { enabled: true, difficulty: 200_000 },
  });
  sim = new IssuerSim(topics, { kind: 'issue' });
  sim.set(ids.stuck, { kind: 'silent' });
  sim.set(ids.rejected, { kind: 'reject', reason: 'COUPON_WINDOW_ENDED' });
  const [, gate, launched] = await Promise.all([
    sim.start(),
    startGate(
      gateEnv(topics, {
        EVENTS_FILE: events.path(),
        DISPATCH_INTERVAL_MS: '20',
        ENQUEUE_RATE_LIMIT_MAX: '0',
        OVERLOAD_RETRY_AFTER_SECONDS: '1',
        POW_HMAC_KEY: 'a-page-test-proof-of-work-key-32-chars',
      }),
    ),
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
  ]);
  g = gate;
  browser = launched;
  base = `http://127.0.0.1:${(g.gate.app.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
  await sim?.stop();
  await events.remove();
  console.log(`waiting-room screenshots: ${SHOTS}`);
});

describe('serving the page', () => {
  const get = (url: string, headers: Record<string, string> = {}) => fetch(base + url, { headers });

  it('serves the HTML with a strict CSP, no inline script, and revalidation', async () => {
    const res = await get(`/events/${ids.flow}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toContain(`<meta name="rediclaim-event" content="${ids.flow}" />`);
    expect(html).toContain('<meta name="rediclaim-identity" content="query" />');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is a file
    expect(html).not.toMatch(/\sstyle=|<style/);
    const again = await get(`/events/${ids.flow}`, { 'if-none-match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
    // Not part of the API document.
    const doc = await (await get('/openapi.json')).json();
    expect(
      Object.keys(doc.paths).filter(
        (p) => !p.startsWith('/v1') && !p.startsWith('/gate') && !/z$/.test(p),
      ),
    ).toEqual([]);
  });

  it('serves the assets under a content version, cached for good, compressed, with ETags', async () => {
    const html = await (await get(`/events/${ids.flow}`)).text();
    const script = html.match(/src="\.\.(\/assets\/[^/]+\/app\.js)"/)![1]!;
    const res = await get(script, { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(await res.text()).toContain('new Poller(step)'); // fetch decompressed it
    const etag = res.headers.get('etag')!;
    expect((await get(script, { 'if-none-match': etag })).status).toBe(304);
    // Another release's path (a rollout): today's file, but only revalidated.
    const other = await get(script.replace(/assets\/[^/]+/, 'assets/older'));
    expect(other.status).toBe(200);
    expect(other.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    expect((await get(script.replace('app.js', 'missing.js'))).status).toBe(404);
    expect([400, 404]).toContain((await get(script.replace('app.js', '..%2Fsrc%2Fapp.ts'))).status);
    const bad = await get('/events/-not-an-id');
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('VALIDATION_FAILED');
  });
});

describe('the waiting-room page in Chromium', () => {
  it('joins, shows the place, people ahead and ETA updating live by push, then the coupon, without polling', async () => {
    for (let i = 0; i < 12; i++)
      expect((await apiJoin(ids.flow, `early-${i}`)).statusCode).toBe(201);
    const { context, page } = await newPage();
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const traffic = statusTraffic(page);
    await page.goto(pageUrl(ids.flow));
    await untilState(page, 'canJoin');
    expect(await textOf(page, '#offer')).toContain('10% off');
    await shot(page, '01-join');
    // Before the join: one read by identity (not in the queue), no stream (no ticket).
    expect(traffic).toEqual({ polls: 1, streams: [], answers: [] });

    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'waiting');
    const rank = await numberOf(page, '#rank');
    expect(rank).toBeGreaterThan(1);
    expect(rank).toBeLessThanOrEqual(13);
    expect(await numberOf(page, '#ahead')).toBe(rank - 1);
    expect(await textOf(page, '#eta')).toMatch(/second|minute/);
    // Focus follows the change of view (the join button is gone).
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('view-title');
    expect(await textOf(page, '#announcer')).toMatch(/You are number \d+ in line/);
    await shot(page, '02-waiting');
    // The join's ticket opened the stream.
    await page.waitForFunction(() => document.documentElement.dataset.updates === 'live');
    expect(traffic.streams).toEqual([(await storedPlace(page, ids.flow)).ticket]);
    expect(traffic.answers).toEqual([200]);

    // One admission per second: the page moves up without a reload.
    await page.waitForFunction(
      (first) => Number(document.getElementById('rank')!.textContent!.replace(/\D/g, '')) < first,
      rank,
      { timeout: 15_000 },
    );
    expect(await stateOf(page)).toBe('waiting');
    // The progress bar moved on from zero.
    expect(Number(await page.locator('#progress').getAttribute('value'))).toBeGreaterThan(0);

    await events.update(g.gate, ids.flow, (c) => (c.admission.dispatchPerSecond = 500));
    await untilState(page, 'issued', 20_000);
    const code = await textOf(page, '#coupon-code');
    expect(code).toMatch(/^C\d{11}$/);
    expect(await textOf(page, '#coupon-discount')).toBe('10% off');
    expect(await page.locator('#view time').count()).toBe(2);
    expect(await textOf(page, '#announcer')).toContain(`Your coupon is ready. Code ${code}`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('view-title');
    await page.getByRole('button', { name: 'Copy code' }).click();
    await page.waitForFunction(() =>
      /copied/.test(document.getElementById('announcer')!.textContent ?? ''),
    );
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    expect(await textOf(page, '#copy')).toBe('Copied');
    await shot(page, '03-issued');
    // Admission and the coupon came by push: not one poll since the join, and the
    // stream ended with the outcome.
    expect(traffic.polls).toBe(1);
    expect(traffic.streams.length).toBe(1);
    expect(await updatesOf(page)).toBe('off');

    // A reload shows the coupon again (the ticket resumes the shopper).
    await page.reload();
    await untilState(page, 'issued');
    expect(await textOf(page, '#coupon-code')).toBe(code);
    // One read, final: nothing to stream.
    expect(traffic.polls).toBe(2);
    expect(traffic.streams.length).toBe(1);
  });

  it('polls when the gate refuses the stream (its stream limit is 0), and still reaches the coupon', async () => {
    const limited = await startGate(
      gateEnv(topics, {
        EVENTS_FILE: events.path(),
        GATE_PUSH_MAX_STREAMS: '0',
        ENQUEUE_RATE_LIMIT_MAX: '0',
      }),
      { background: false }, // the suite's gate dispatches; this one only answers HTTP
    );
    try {
      // A short wait in line (one admission a second), so the page has to ask.
      for (let i = 0; i < 3; i++) await apiJoin(ids.refused, `early-${i}`);
      const port = (limited.gate.app.server.address() as AddressInfo).port;
      const { page } = await newPage();
      const traffic = statusTraffic(page);
      await page.goto(`http://127.0.0.1:${port}/events/${ids.refused}`);
      await untilState(page, 'canJoin');
      const pollsAtJoin = traffic.polls;
      await page.getByRole('button', { name: 'Join the queue' }).click();
      await untilState(page, 'waiting');
      await untilState(page, 'issued', 20_000);
      expect(await textOf(page, '#coupon-code')).toMatch(/^C\d{11}$/);
      // One stream asked for, refused (503 OVERLOADED), then polls, as before push.
      expect(traffic.answers).toEqual([503]);
      expect(traffic.streams.length).toBe(1);
      expect(traffic.polls).toBeGreaterThan(pollsAtJoin);
      expect(await updatesOf(page)).toBe('polling');
    } finally {
      await limited.stop();
    }
  });

  it('says a coupon is available, and when it was used once the shop redeemed it', async () => {
    const { page } = await newPage();
    await page.goto(pageUrl(ids.used));
    await untilState(page, 'canJoin');
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'issued', 20_000);
    expect(await textOf(page, '#coupon-state')).toBe('Available');
    // The shop redeems it; the issuer's outbox tells the gate over the coupons topic.
    const userId: string = await page.evaluate(() => localStorage.getItem('rediclaim.user')!);
    const { coupon } = await apiStatus(ids.used, userId);
    const occurredAt = '2026-11-27T05:30:00.000Z';
    const redeemed = couponRedeemedSchema.parse({
      type: 'CouponRedeemed',
      version: 1,
      id: lifecycleEventIdOf('CouponRedeemed', redemptionIdOf(1)),
      sequence: 2,
      occurredAt,
      tenant: TENANT,
      eventId: ids.used,
      coupon: {
        id: couponIdOf(1, coupon.serial),
        code: coupon.code,
        serial: coupon.serial,
        userId,
      },
      redemption: { id: redemptionIdOf(1), orderId: 'o-1', orderAmount: 100, discountAmount: 10 },
    });
    const producer = testKafka('page-coupons').producer();
    await producer.connect();
    try {
      await producer.send({
        topic: topics.coupons!,
        messages: [{ key: redeemed.coupon.id, value: JSON.stringify(redeemed) }],
      });
    } finally {
      await producer.disconnect();
    }
    await waitFor(
      'the redemption',
      async () => (await apiStatus(ids.used, userId)).redemption?.state === 'REDEEMED',
    );
    await page.reload();
    await untilState(page, 'issued');
    const used = page.locator('#coupon-state');
    expect(await used.getAttribute('data-state')).toBe('REDEEMED');
    // The time in the shopper's own zone and words ("Used on Nov 27, 2026, 5:30 AM").
    expect(await used.textContent()).toMatch(/^Used on Nov 2\d, 2026, \d/);
    await shot(page, '03b-used');
  });

  it('keeps the place in a second tab and across a reload (same rank, same ticket, one entry)', async () => {
    for (let i = 0; i < 3; i++) await apiJoin(ids.place, `before-${i}`);
    const { context, page } = await newPage();
    await page.goto(pageUrl(ids.place));
    await untilState(page, 'canJoin');
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'waiting');
    expect(await numberOf(page, '#rank')).toBe(4);
    expect(await textOf(page, '#eta')).toBe('Paused');
    expect(await textOf(page, '#view')).toContain('Admission is paused');
    const { ticket } = await storedPlace(page, ids.place);
    expect(typeof ticket).toBe('string');

    const second = await context.newPage();
    watch(second);
    const traffic = statusTraffic(second);
    await second.goto(pageUrl(ids.place));
    await untilState(second, 'waiting');
    expect(await numberOf(second, '#rank')).toBe(4);
    expect((await storedPlace(second, ids.place)).ticket).toBe(ticket);
    // The kept ticket: one read to show the place, then the stream tells the rest.
    await second.waitForFunction(() => document.documentElement.dataset.updates === 'live');
    expect(traffic).toEqual({ polls: 1, streams: [ticket], answers: [200] });
    await shot(second, '04-second-tab');

    await page.reload();
    await untilState(page, 'waiting');
    expect(await numberOf(page, '#rank')).toBe(4);
    expect((await storedPlace(page, ids.place)).ticket).toBe(ticket);
    const info = (await g.http({ url: `/v1/events/${ids.place}` })).json();
    expect(info.waiting).toBe(4);
  });

  it('shows a sold-out event as sold out, with nothing to join', async () => {
    await apiJoin(ids.soldOut, 'lucky');
    await waitFor('the only coupon to be issued', async () => {
      const view = await apiStatus(ids.soldOut, 'lucky');
      return view.status === 'ISSUED';
    });
    const { page } = await newPage();
    await page.goto(pageUrl(ids.soldOut));
    await untilState(page, 'soldOut');
    expect(await textOf(page, '#view-title')).toBe('Sold out');
    expect(await page.locator('#join').count()).toBe(0);
    await shot(page, '05-sold-out');
  });

  it('solves the proof of work in Web Workers (altcha-lib, served by the gate), then joins with it', async () => {
    const { page } = await newPage();
    const seen = { workers: [] as string[], joins: [] as (string | undefined)[], challenges: 0 };
    page.on('worker', (w) => seen.workers.push(new URL(w.url()).pathname));
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.endsWith('/challenge')) seen.challenges += 1;
      if (r.method() === 'POST' && url.pathname.endsWith('/queue'))
        seen.joins.push(r.headers()['x-pow-solution']);
    });
    await page.goto(pageUrl(ids.pow));
    await untilState(page, 'canJoin');
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'waiting');
    expect(await page.evaluate(() => document.documentElement.dataset.pow)).toBe('solved');
    expect(seen.challenges).toBe(1);
    expect(seen.joins).toEqual([expect.stringMatching(/^[A-Za-z0-9+/=]{100,}$/)]);
    expect(seen.workers.length).toBeGreaterThanOrEqual(1);
    for (const worker of seen.workers)
      expect(worker).toMatch(/^\/assets\/[^/]+\/altcha\/worker\.js$/);
    // The solution was the library's: the gate verified it and spent it.
    const payload = JSON.parse(Buffer.from(seen.joins[0]!, 'base64').toString());
    expect(payload).toMatchObject({ algorithm: 'SHA-256', number: expect.any(Number) });
    const again = await g.http({
      method: 'POST',
      url: `/v1/events/${ids.pow}/queue?userId=replayer`,
      headers: { 'x-pow-solution': seen.joins[0]! },
    });
    expect(again.json().code).toBe('POW_REPLAYED');
    await shot(page, '05b-pow-joined');
  });

  it('counts down to the pre-queue of an event not open yet, and offers the join at opening', async () => {
    const { page } = await newPage();
    await page.goto(pageUrl(ids.later));
    await untilState(page, 'notOpen');
    expect(await textOf(page, '#view')).toContain('The waiting room opens in');
    const timer = page.locator('[role="timer"]');
    const first = await timer.textContent();
    expect(first).toMatch(/^\d{2}:\d{2}$/); // under an hour: mm:ss
    await page.waitForFunction(
      (t) => document.querySelector('[role="timer"]')!.textContent !== t,
      first,
    );
    await shot(page, '06-not-open');

    // An event opening in 3 s: the countdown ends and the join button appears.
    await events.update(
      g.gate,
      ids.soon,
      (c) => (c.schedule.opensAt = new Date(Date.now() + 3_000).toISOString()),
    );
    await page.goto(pageUrl(ids.soon));
    await untilState(page, 'notOpen');
    expect(await textOf(page, '#view')).toContain('The sale opens in');
    await untilState(page, 'canJoin', 10_000);
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await page.waitForSelector(
      '#view[data-state="waiting"], #view[data-state="processing"], #view[data-state="issued"]',
    );
  });

  it('takes a pre-queue place that is drawn at opening', async () => {
    const { page } = await newPage();
    await page.goto(pageUrl(ids.preQueue));
    await untilState(page, 'canJoin');
    expect(await textOf(page, '#view-title')).toBe('The waiting room is open');
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'preQueue');
    expect(await page.locator('[role="timer"]').textContent()).toMatch(/^\d{2}:\d{2}$/);
    await shot(page, '07-pre-queue');
  });

  it('waits out Retry-After when the queue is full, then joins', async () => {
    await apiJoin(ids.full, 'occupant');
    const { page } = await newPage();
    const joins: number[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') joins.push(Date.now());
    });
    await page.goto(pageUrl(ids.full));
    await untilState(page, 'canJoin');
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await page.waitForSelector('#problem:not([hidden])');
    expect(await textOf(page, '#problem-text')).toMatch(/queue is full|Retrying/);
    await shot(page, '08-queue-full');
    await events.update(g.gate, ids.full, (c) => (c.admission.maxQueueLength = 100));
    await untilState(page, 'waiting');
    expect(await page.locator('#problem').isHidden()).toBe(true);
    expect(joins.length).toBeGreaterThanOrEqual(2);
    // Retry-After: 1 s (OVERLOAD_RETRY_AFTER_SECONDS); no retry came sooner.
    for (let i = 1; i < joins.length; i++)
      expect(joins[i]! - joins[i - 1]!).toBeGreaterThanOrEqual(950);
  });

  it('backs off while the network is down and recovers when it returns', async () => {
    const { context, page } = await newPage();
    await page.goto(pageUrl(ids.stuck));
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'processing'); // the silent issuer never answers
    await page.waitForFunction(() => document.documentElement.dataset.updates === 'live');
    await shot(page, '09-processing');
    const failures: number[] = [];
    page.on('requestfailed', (r) => {
      if (new URL(r.url()).pathname.endsWith('/queue/me')) failures.push(Date.now());
    });
    // The browser says it is offline: the stream cannot deliver, the page polls (and fails).
    await context.setOffline(true);
    await waitFor('four failed polls', () => failures.length >= 4, 20_000, 50);
    expect(await updatesOf(page)).toBe('polling');
    await page.waitForSelector('#problem:not([hidden])');
    expect(await textOf(page, '#problem-text')).toMatch(/Connection lost/);
    await shot(page, '10-offline');
    // Doubling with "equal jitter" (half to all of 1 s, 2 s, 4 s): each wait is at least
    // the one before, and the third at least twice the first.
    const gaps = [1, 2, 3].map((i) => failures[i]! - failures[i - 1]!);
    expect(gaps[1]!).toBeGreaterThanOrEqual(gaps[0]! - 50);
    expect(gaps[2]!).toBeGreaterThanOrEqual(gaps[0]! * 1.9);
    await context.setOffline(false);
    await page.waitForSelector('#problem[hidden]', { state: 'attached', timeout: 10_000 });
    expect(await stateOf(page)).toBe('processing');
    // The first answer back online opened the stream again.
    await page.waitForFunction(() => document.documentElement.dataset.updates === 'live');
  });

  it('shows the other outcomes: rejected with its reason, an ended event, an unknown event', async () => {
    const { page } = await newPage();
    await page.goto(pageUrl(ids.rejected));
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await untilState(page, 'rejected');
    expect(await textOf(page, '#reason')).toBe(
      'The coupons were no longer valid when your turn came.',
    );
    await shot(page, '11-rejected');
    await page.goto(pageUrl(ids.ended));
    await untilState(page, 'closed');
    await shot(page, '12-closed');
    await page.goto(pageUrl(uniqueName('nosuch')));
    await untilState(page, 'unknown');
    expect(await textOf(page, '#view-title')).toBe('No such event');
  });

  it('speaks Korean or English from the browser, switchable, and remembers the choice', async () => {
    const { page } = await newPage({ locale: 'ko-KR' });
    await page.goto(pageUrl(ids.lang));
    await untilState(page, 'canJoin');
    expect(await page.getAttribute('html', 'lang')).toBe('ko');
    expect(await textOf(page, '#view-title')).toBe('줄 서기');
    expect(await textOf(page, '#offer')).toContain('10% 할인');
    await page.getByRole('button', { name: '대기열 참여' }).click();
    await untilState(page, 'waiting');
    expect(await textOf(page, '#view-title')).toBe('대기 중입니다');
    expect(await textOf(page, '#announcer')).toMatch(/^현재 1번째입니다/);
    await shot(page, '13-waiting-ko');

    await page.getByRole('button', { name: 'English' }).click();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await textOf(page, '#view-title')).toBe("You're in line");
    expect(await page.getByRole('button', { name: 'English' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await page.reload();
    await untilState(page, 'waiting');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await textOf(page, '#view-title')).toBe("You're in line");

    const english = await newPage({ locale: 'en-GB' });
    await english.page.goto(pageUrl(ids.lang));
    await untilState(english.page, 'canJoin');
    expect(await english.page.getAttribute('html', 'lang')).toBe('en');
    await english.page.getByRole('button', { name: '한국어' }).click();
    expect(await english.page.getAttribute('html', 'lang')).toBe('ko');
    expect(await textOf(english.page, '#join')).toBe('대기열 참여');
  });

  it('in jwt mode joins with a token handed over in the URL fragment; a tab without it resumes by the ticket', async () => {
    const jwtGate = await startGate(
      gateEnv(topics, {
        EVENTS_FILE: events.path(),
        IDENTITY_MODE: 'jwt',
        JWT_SECRET,
        ENQUEUE_RATE_LIMIT_MAX: '0',
      }),
      { background: false }, // the suite's gate dispatches; this one only answers HTTP
    );
    try {
      const url = `http://127.0.0.1:${(jwtGate.gate.app.server.address() as AddressInfo).port}/events/${ids.jwt}`;
      const token = createSigner({ key: JWT_SECRET, expiresIn: 600_000 })({ sub: 'mina' });
      const { context, page } = await newPage();
      await page.goto(url);
      expect(await page.locator('meta[name="rediclaim-identity"]').getAttribute('content')).toBe(
        'jwt',
      );
      await untilState(page, 'canJoin');
      await page.getByRole('button', { name: 'Join the queue' }).click();
      await untilState(page, 'signIn'); // no token: the gate answered UNAUTHENTICATED

      const signedIn = await context.newPage();
      watch(signedIn);
      await signedIn.goto(`${url}#token=${token}`);
      await untilState(signedIn, 'canJoin');
      expect(signedIn.url()).toBe(url); // the token left the address bar
      await signedIn.getByRole('button', { name: 'Join the queue' }).click();
      await untilState(signedIn, 'waiting');
      expect(await numberOf(signedIn, '#rank')).toBe(1);
      expect((await storedPlace(signedIn, ids.jwt)).user).toBe('mina');

      const other = await context.newPage(); // a new tab: no token in its session
      watch(other);
      await other.goto(url);
      await untilState(other, 'waiting');
      expect(await numberOf(other, '#rank')).toBe(1);
      const status = await jwtGate.http({
        url: `/v1/events/${ids.jwt}/queue/me`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(status.json()).toMatchObject({ status: 'WAITING', rank: 1 });
    } finally {
      await jwtGate.stop();
    }
  });

  it('fits a 360 × 740 phone screen without horizontal scrolling', async () => {
    const { page } = await newPage({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    await page.goto(pageUrl(ids.phone));
    await untilState(page, 'canJoin');
    expect(await noHorizontalScroll(page)).toBe(true);
    await shot(page, '14-phone-join');
    await page.getByRole('button', { name: 'Join the queue' }).tap();
    await untilState(page, 'issued');
    expect(await noHorizontalScroll(page)).toBe(true);
    await shot(page, '15-phone-issued');
    await page.goto(pageUrl(ids.later));
    await untilState(page, 'notOpen');
    expect(await noHorizontalScroll(page)).toBe(true);
    await shot(page, '16-phone-not-open');
  });

  it('is accessible: a polite live region, labelled controls, the language, AA contrast, reduced motion', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page } = await newPage({ colorScheme, reducedMotion: 'reduce' });
      await page.goto(pageUrl(ids.place));
      await untilState(page, 'canJoin');
      const region = page.locator('#announcer');
      expect(await region.getAttribute('aria-live')).toBe('polite');
      expect(await region.getAttribute('role')).toBe('status');
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      expect(await textOf(page, '#announcer')).toBe('Get in line');
      expect(await unlabelled(page)).toEqual([]);
      expect(await lowContrast(page)).toEqual([]);
      await page.getByRole('button', { name: 'Join the queue' }).click();
      await untilState(page, 'waiting');
      expect(await textOf(page, '#announcer')).toMatch(/You are number \d+ in line/);
      expect(await unlabelled(page)).toEqual([]);
      expect(await lowContrast(page)).toEqual([]);
      expect(await page.locator('label[for="progress"]').count()).toBe(1);
      if (colorScheme === 'dark') await shot(page, '17-waiting-dark');
      // The spinner does not spin for those who asked for less motion.
      expect(
        await page.evaluate(() => {
          const el = document.createElement('span');
          el.className = 'spinner';
          document.body.append(el);
          return getComputedStyle(el).animationName;
        }),
      ).toBe('none');
    }
  });
});

/** Controls without an accessible name (aria-label, aria-labelledby, a label, or text). */
function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll(
        'button, input, select, textarea, progress, a[href], [role="timer"]',
      ),
    ]
      .filter((el) => {
        const by = el.getAttribute('aria-labelledby');
        const labelledBy = by
          ? by
              .split(' ')
              .map((id) => document.getElementById(id)?.textContent ?? '')
              .join(' ')
          : '';
        const labels = [...((el as HTMLInputElement).labels ?? [])]
          .map((l) => l.textContent)
          .join(' ');
        const name = el.getAttribute('aria-label') || labelledBy || labels || el.textContent;
        return !name?.trim();
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}

/** Visible text below WCAG AA contrast against the background it is drawn on. */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgba = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgba(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c;
      }
      return [255, 255, 255];
    };
    const bad: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim());
      if (!own || !(el as HTMLElement).offsetParent || el.closest('.visually-hidden')) continue;
      const style = getComputedStyle(el);
      const fg = lum(rgba(style.color));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        bad.push(
          `${el.tagName}#${el.id} "${el.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}`,
        );
    }
    return bad;
  });
}
