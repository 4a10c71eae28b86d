// The waiting room page: asks the gate's /v1 API where the shopper stands and shows it.
// One state (`state.view`) drives one render; once the page holds a ticket the gate
// pushes each change over a status stream (push.js), and a Poller asks when there is no
// stream (before the join, or when it fails); a one-second ticker moves the countdowns.
// Text goes in with textContent only.

import { LANGUAGES, createI18n, pickLanguage } from './i18n.js';
import { Poller, countdownTarget as targetOf } from './poller.js';
import { Push } from './push.js';
import { createApi } from './api.js';
import { solvePow } from './pow.js';
import * as session from './session.js';

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content');
const eventId = meta('rediclaim-event') ?? '';
const identityMode = meta('rediclaim-identity') ?? 'query';

/** Seconds a waiting shopper's position is announced at most once in (screen readers). */
const ANNOUNCE_WAITING_EVERY_MS = 30_000;
/** Spread of the event refresh at a countdown's end, so a crowd does not ask at once. */
const OPENING_SPREAD_MS = 3000;

if (identityMode === 'jwt') session.takeTokenFromUrl();

async function credentials() {
  if (identityMode === 'query') return { userId: session.shopperId() };
  if (identityMode === 'jwt') {
    const token = await session.signInToken();
    return token ? { token } : {};
  }
  return {}; // header mode: a proxy in front adds the shopper's header (from its own cookie).
}

const api = createApi({ eventId, identityMode, credentials });

const state = {
  i18n: createI18n(pickLanguage(session.loadLanguage(), navigator.languages)),
  /** GET /v1/events/:id, and whether it should be read again before the next status. */
  info: undefined,
  infoStale: true,
  /** What the page shows: { kind, data }. */
  view: { kind: 'loading', data: {} },
  renderedKind: undefined,
  /** A transient trouble shown above the view: { key, until }. */
  problem: undefined,
  joining: false,
  lastAnnounced: { kind: undefined, at: 0, rank: undefined },
};

const $ = (id) => document.getElementById(id);
const t = (key, params) => state.i18n.t(key, params);
const fmt = (n) => state.i18n.number(n);

/** Element builder: props are attributes, `text`, `class`, or `on<event>` listeners. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = value;
    else if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== undefined && child !== null && child !== false) el.append(child);
  return el;
}

const heading = (text) => h('h2', { id: 'view-title', tabindex: '-1', text });

/** A countdown that the ticker moves; role=timer is not announced at every tick. */
function countdown(labelKey, until) {
  const id = `countdown-${labelKey}`;
  return h(
    'p',
    {},
    h('span', { id: `${id}-label`, text: t(labelKey) }),
    h('time', {
      class: 'countdown',
      role: 'timer',
      'aria-live': 'off',
      'aria-labelledby': `${id}-label`,
      'data-until': String(until),
      text: state.i18n.clock(until - Date.now()),
    }),
  );
}

function eventName() {
  return state.info?.displayName ?? eventId;
}

/** "Used on …" or "Available": the coupon's redemption state, when the gate knows it. */
function redemptionText(redemption) {
  if (redemption.state === 'REDEEMED')
    return redemption.since
      ? t('couponUsedOn', { time: state.i18n.dateTime(redemption.since) })
      : t('couponUsed');
  return t('couponAvailable');
}

function couponBlock(coupon, redemption) {
  if (!coupon) return [];
  const i18n = state.i18n;
  return [
    h(
      'div',
      { class: 'coupon' },
      h('span', { id: 'coupon-label', class: 'visually-hidden', text: t('couponCode') }),
      h('code', { id: 'coupon-code', 'aria-labelledby': 'coupon-label', text: coupon.code }),
      h('button', {
        type: 'button',
        id: 'copy',
        'aria-describedby': 'coupon-label',
        text: t('copy'),
        onclick: () => copyCode(coupon.code),
      }),
    ),
    h(
      'dl',
      { class: 'details' },
      h('dt', { text: t('discount') }),
      h('dd', { id: 'coupon-discount', text: i18n.discount(coupon.discount) }),
      h('dt', { text: t('validFrom') }),
      h('dd', {}, h('time', { datetime: coupon.validFrom, text: i18n.dateTime(coupon.validFrom) })),
      h('dt', { text: t('validUntil') }),
      h(
        'dd',
        {},
        h('time', { datetime: coupon.validUntil, text: i18n.dateTime(coupon.validUntil) }),
      ),
      redemption ? h('dt', { text: t('couponState') }) : null,
      redemption
        ? h('dd', {
            id: 'coupon-state',
            'data-state': redemption.state,
            text: redemptionText(redemption),
          })
        : null,
    ),
  ];
}

async function copyCode(code) {
  const button = $('copy');
  try {
    await navigator.clipboard.writeText(code);
    if (button) button.textContent = t('copied');
    announce(t('copiedAnnounce'));
  } catch {
    // No clipboard (plain http, refused): select the code for the shopper to copy.
    const range = document.createRange();
    range.selectNodeContents($('coupon-code'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    announce(t('copyFailed'));
  }
}

/** Each view: its nodes (the first is the heading that takes focus), and its panel style. */
const views = {
  loading: () => [heading(t('loading'))],

  notOpen: ({ until, preQueue }) => {
    const info = state.info ?? {};
    const opening = preQueue ? info.preQueueOpensAt : info.opensAt;
    return [
      heading(t('notOpenTitle')),
      until !== undefined ? countdown(preQueue ? 'opensPreQueue' : 'opensSale', until) : null,
      opening ? h('p', { text: t('opensAtTime', { time: state.i18n.dateTime(opening) }) }) : null,
      info.preQueueOpensAt ? h('p', { class: 'muted', text: t('preQueueNote') }) : null,
    ];
  },

  canJoin: ({ preQueue, until }) => {
    const info = state.info ?? {};
    return [
      heading(t(preQueue ? 'joinTitlePreQueue' : 'joinTitle')),
      preQueue && until !== undefined ? countdown('saleOpensIn', until) : null,
      h('p', {
        text: preQueue
          ? t('joinHelpPreQueue', { time: state.i18n.dateTime(info.opensAt) })
          : t('joinHelp'),
      }),
      info.phase === 'Paused' ? h('p', { class: 'muted', text: t('paused') }) : null,
      info.stock !== undefined
        ? h('p', {
            id: 'remaining',
            class: 'muted',
            text: t('remaining', { remaining: fmt(info.remaining), stock: fmt(info.stock) }),
          })
        : null,
      info.closesAt
        ? h('p', {
            class: 'muted',
            text: t('closesAt', { time: state.i18n.dateTime(info.closesAt) }),
          })
        : null,
      h(
        'button',
        {
          type: 'button',
          id: 'join',
          class: 'primary',
          disabled: state.joining,
          'aria-busy': state.joining ? 'true' : undefined,
          onclick: join,
        },
        state.joining ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null,
        state.joining ? t('joining') : t('joinButton'),
      ),
    ];
  },

  preQueue: ({ until }) => [
    heading(t('preQueueTitle')),
    h('p', { text: t('preQueueBody') }),
    until !== undefined ? countdown('saleOpensIn', until) : null,
    h('p', { class: 'muted', text: t('keepOpen') }),
  ],

  waiting: (v) => {
    const done = progressOf(v);
    return [
      heading(t('waitingTitle')),
      h(
        'dl',
        { class: 'stats' },
        h(
          'div',
          { class: 'big' },
          h('dt', { text: t('position') }),
          h('dd', { id: 'rank', text: fmt(v.rank) }),
        ),
        h('div', {}, h('dt', { text: t('ahead') }), h('dd', { id: 'ahead', text: fmt(v.ahead) })),
        h('div', {}, h('dt', { text: t('eta') }), h('dd', { id: 'eta', text: etaText(v) })),
      ),
      h(
        'div',
        { class: 'progress' },
        h('label', { for: 'progress', text: t('progress') }),
        h('progress', { id: 'progress', max: '100', value: String(done), text: `${done}%` }),
      ),
      v.phase === 'Paused' ? h('p', { class: 'muted', text: t('paused') }) : null,
      h('p', { class: 'muted', text: t('keepOpen') }),
    ];
  },

  processing: () => [
    heading(t('processingTitle')),
    h('p', {}, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('processingBody')),
  ],

  issued: (v) => [
    heading(t('issuedTitle')),
    ...couponBlock(v.coupon, v.redemption),
    v.issuedCount > 1 ? h('p', { text: t('issuedCount', { count: fmt(v.issuedCount) }) }) : null,
  ],

  alreadyIssued: (v) => [
    heading(t('alreadyTitle')),
    h('p', { text: t('alreadyBody') }),
    ...couponBlock(v.coupon, v.redemption),
  ],

  soldOut: () => [heading(t('soldOutTitle')), h('p', { text: t('soldOutBody') })],

  rejected: (v) => [
    heading(t('rejectedTitle')),
    h('p', { text: t('rejectedBody') }),
    v.reason ? h('p', { id: 'reason', text: reasonText(v.reason) }) : null,
  ],

  closed: (v) => [
    heading(t('closedTitle')),
    h('p', { text: t(v.reason === 'EVENT_DELETED' ? 'closedDeleted' : 'closedBody') }),
  ],

  unknown: () => [heading(t('unknownTitle')), h('p', { text: t('unknownBody') })],

  signIn: () => [heading(t('signInTitle')), h('p', { text: t('signInBody') })],

  error: ({ message }) => [
    heading(t('errorTitle')),
    h('p', { text: t('errorBody', { message: message ?? '' }) }),
    h('button', { type: 'button', id: 'retry', text: t('retryNow'), onclick: retryNow }),
  ],
};

const PANEL_STYLE = {
  issued: 'outcome-good',
  alreadyIssued: 'outcome-good',
  soldOut: 'outcome-bad',
  rejected: 'outcome-bad',
  closed: 'outcome-bad',
  unknown: 'outcome-bad',
  error: 'outcome-bad',
};

/** Share of the way done since the shopper first saw their place (kept across reloads). */
function progressOf(v) {
  const firstAhead = Math.max(session.loadPlace(eventId)?.firstAhead ?? 0, v.ahead ?? 0);
  return firstAhead > 0 ? Math.round((100 * (firstAhead - (v.ahead ?? 0))) / firstAhead) : 100;
}

function etaText(v) {
  if (v.phase === 'Paused') return t('etaPaused');
  if (v.etaSeconds === null || v.etaSeconds === undefined) return t('etaUnknown');
  if (v.etaSeconds <= 1) return t('etaSoon');
  return state.i18n.duration(v.etaSeconds);
}

function reasonText(reason) {
  const key = `reason_${reason}`;
  const text = t(key);
  return text === key ? t('reasonOther', { reason }) : text;
}

/** What a screen reader hears when the view changes (the visible text says more). */
function summaryOf(kind, data) {
  switch (kind) {
    case 'waiting':
      return t('announceWaiting', {
        rank: fmt(data.rank),
        eta: data.etaSeconds ? state.i18n.duration(data.etaSeconds) : '',
      });
    case 'issued':
      return t('announceIssued', {
        code: data.coupon?.code ?? '',
        discount: state.i18n.discount(data.coupon?.discount),
      });
    case 'processing':
      return `${t('processingTitle')}. ${t('processingBody')}`;
    case 'loading':
      return '';
    default:
      return t(
        {
          notOpen: 'notOpenTitle',
          canJoin: data.preQueue ? 'joinTitlePreQueue' : 'joinTitle',
          preQueue: 'preQueueTitle',
          alreadyIssued: 'alreadyTitle',
          soldOut: 'soldOutTitle',
          rejected: 'rejectedTitle',
          closed: 'closedTitle',
          unknown: 'unknownTitle',
          signIn: 'signInTitle',
          error: 'errorTitle',
        }[kind] ?? 'loading',
      );
  }
}

function announce(text) {
  const region = $('announcer');
  if (region && text) region.textContent = text;
}

/** Announces a new view always; a new place in line at most every 30 s. */
function announceView(kind, data) {
  const last = state.lastAnnounced;
  const now = Date.now();
  const changed = kind !== last.kind;
  const moved =
    kind === 'waiting' && data.rank !== last.rank && now - last.at >= ANNOUNCE_WAITING_EVERY_MS;
  if (!changed && !moved) return;
  announce(summaryOf(kind, data));
  state.lastAnnounced = { kind, at: now, rank: data.rank };
}

function renderChrome() {
  const i18n = state.i18n;
  document.documentElement.lang = i18n.lang;
  document.title = t('pageTitle', { event: eventName() });
  $('event-name').textContent = eventName();
  const nav = $('languages');
  nav.setAttribute('aria-label', t('languageNav'));
  for (const button of nav.querySelectorAll('button'))
    button.setAttribute('aria-pressed', String(button.dataset.lang === i18n.lang));
  const info = state.info;
  const offer = info?.discount ? [i18n.discount(info.discount)] : [];
  if (info?.perUserLimit) offer.push(t('perUser', { limit: fmt(info.perUserLimit) }));
  $('offer').textContent = offer.join(' · ');
}

function renderProblem() {
  const box = $('problem');
  const p = state.problem;
  if (!p) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const seconds = Math.max(0, Math.ceil((p.until - Date.now()) / 1000));
  const text = seconds > 0 ? t(p.key, { seconds: fmt(seconds) }) : t('retrying');
  box.hidden = false;
  // Updated in place every second: a focused "Try again" button keeps its focus.
  if ($('problem-text')) {
    $('problem-text').textContent = text;
    $('retry-now').textContent = t('retryNow');
    return;
  }
  box.replaceChildren(
    h('p', { id: 'problem-text', text }),
    h('button', { type: 'button', id: 'retry-now', text: t('retryNow'), onclick: retryNow }),
  );
}

/** Draws the whole page for the state; `focus` moves focus to a view that changed kind. */
function render({ focus = false } = {}) {
  const { kind, data } = state.view;
  renderChrome();
  const section = $('view');
  section.className = `view ${PANEL_STYLE[kind] ?? ''}`.trim();
  section.dataset.state = kind;
  section.replaceChildren(...views[kind](data).filter(Boolean));
  renderProblem();
  const previous = state.renderedKind;
  state.renderedKind = kind;
  if (focus && previous !== kind && previous !== 'loading' && previous !== undefined)
    $('view-title')?.focus();
}

/** Same view, new numbers: only the numbers change, so nothing a screen reader is on moves. */
const patches = {
  waiting: (v) => {
    $('rank').textContent = fmt(v.rank);
    $('ahead').textContent = fmt(v.ahead);
    $('eta').textContent = etaText(v);
    const done = progressOf(v);
    $('progress').value = done;
    $('progress').textContent = `${done}%`;
    return true;
  },
};

function show(kind, data = {}) {
  const same = state.renderedKind === kind && state.view.kind === kind;
  const previous = state.view.data;
  state.view = { kind, data };
  const patched =
    same && patches[kind] && previous.phase === data.phase ? patches[kind](data) : false;
  if (!patched) render({ focus: true });
  announceView(kind, data);
}

// --- the conversation with the gate --------------------------------------------------

const poller = new Poller(step);

// A stream and its frames cost little while the tab is hidden, so it stays open: the
// page is current when the shopper comes back, and a crowd of tabs shown again does not
// reconnect at once. Only the Poller rests while hidden.
const push = new Push({
  url: (ticket) => api.streamUrl(ticket),
  onStatus: (body) => {
    clearTrouble();
    applyStatus(body);
  },
  onChange: (mode) => {
    poller.standBy(push.active);
    document.documentElement.dataset.updates = mode;
  },
});

/** Nothing more to learn: no polls, no stream. */
function stopAsking() {
  poller.stop();
  push.close();
}

/** The state can still change: the stream says when (if there is one), else the next poll. */
function keepAsking(v) {
  push.follow(v.ticket ?? session.loadPlace(eventId)?.ticket);
  return poller.after(v.pollAfterMs);
}

function trouble(key, delay) {
  if (!state.problem) announce(t('announceProblem'));
  state.problem = { key, until: Date.now() + delay };
  renderProblem();
}

function clearTrouble() {
  if (!state.problem) return;
  state.problem = undefined;
  renderProblem();
}

/** 503/429 and no answer at all: wait as told, or back off. True when it was one of those. */
function retried(result, key = 'busy') {
  if (result.kind === 'network') {
    trouble('offline', poller.failed());
    return true;
  }
  if (result.status === 503 || result.status === 429) {
    trouble(
      result.code === 'QUEUE_FULL' ? 'queueFull' : key,
      poller.retryAfter(result.retryAfterMs),
    );
    return true;
  }
  return false;
}

/** Answers that end the conversation whatever was asked. True when it was one of those. */
function ended(result) {
  if (result.code === 'UNKNOWN_EVENT') show('unknown');
  else if (result.code === 'EVENT_CLOSED') show('closed', { reason: result.details?.reason });
  else return false;
  state.joining = false;
  clearTrouble();
  stopAsking();
  return true;
}

function fail(result) {
  state.joining = false;
  clearTrouble();
  show('error', { message: result.message });
  stopAsking();
}

/** The place held, if it is this shopper's (a stored ticket of someone else is dropped). */
async function currentPlace() {
  const place = session.loadPlace(eventId);
  if (!place) return undefined;
  let who;
  if (identityMode === 'query') who = session.shopperId();
  else if (identityMode === 'jwt') {
    const token = await session.signInToken();
    who = token ? session.tokenSubject(token) : undefined;
  }
  if (who !== undefined && place.user !== undefined && place.user !== who) {
    session.savePlace(eventId, null);
    return undefined;
  }
  return place;
}

function rememberPlace(ticket, ahead) {
  const stored = session.loadPlace(eventId);
  const place =
    stored?.ticket === ticket
      ? { ...stored }
      : { ticket, user: session.ticketPayload(ticket)?.u, firstAhead: 0 };
  if (typeof ahead === 'number' && ahead > place.firstAhead) place.firstAhead = ahead;
  if (stored?.ticket !== ticket || place.firstAhead !== stored.firstAhead)
    session.savePlace(eventId, place);
}

/** One turn: refresh the event when needed, then join (when asked) or read the status. */
async function step() {
  if (state.infoStale || !state.info) {
    const result = await api.event();
    if (result.kind !== 'ok') {
      if (!retried(result) && !ended(result)) fail(result);
      return;
    }
    state.info = result.body;
    state.infoStale = false;
    renderChrome();
  }
  if (state.joining) await sendJoin();
  else await readStatus();
}

async function readStatus() {
  const place = await currentPlace();
  const result = await api.status(place?.ticket);
  if (result.kind === 'ok') {
    clearTrouble();
    return applyStatus(result.body);
  }
  if (retried(result) || ended(result)) return;
  if (result.code === 'INVALID_TICKET') {
    // Signed by another secret (a gate restarted without TICKET_SECRET): ask by identity.
    session.savePlace(eventId, null);
    return poller.runNow();
  }
  if (result.code === 'UNAUTHENTICATED') {
    clearTrouble();
    landing();
    return;
  }
  fail(result);
}

/** Answers that a new proof of work may cure (the event turned it on, or a challenge went stale). */
const POW_REFUSALS = new Set(['POW_REQUIRED', 'POW_INVALID', 'POW_REPLAYED']);

/**
 * The proof of work a join of this event needs (undefined: none), solved while the
 * button says "Checking your browser…"; `<html data-pow>` tells tests where it is.
 */
async function proofOfWork(needed) {
  if (!needed) return undefined;
  document.documentElement.dataset.pow = 'solving';
  const button = $('join');
  if (button)
    button.replaceChildren(
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      t('checkingBrowser'),
    );
  const challenge = await api.challenge();
  if (challenge.kind !== 'ok') {
    document.documentElement.dataset.pow = 'failed';
    return { refused: challenge };
  }
  const solution = await solvePow(challenge.body);
  document.documentElement.dataset.pow = solution ? 'solved' : 'failed';
  return { solution };
}

async function sendJoin() {
  let pow = await proofOfWork(state.info?.proofOfWork);
  let result = pow?.refused ?? (await api.join(pow?.solution));
  // Once more with a fresh challenge: the config changed, or the challenge expired.
  if (result.kind === 'refused' && POW_REFUSALS.has(result.code)) {
    pow = await proofOfWork(true);
    result = pow.refused ?? (await api.join(pow.solution));
  }
  if (result.kind === 'ok') {
    state.joining = false;
    clearTrouble();
    return applyStatus(result.body);
  }
  if (retried(result) || ended(result)) return;
  state.joining = false;
  clearTrouble();
  switch (result.code) {
    case 'EVENT_NOT_OPEN':
      state.infoStale = true;
      return poller.runNow();
    case 'SOLD_OUT':
      show('soldOut');
      return stopAsking();
    case 'ALREADY_ISSUED':
      show('alreadyIssued', result.details?.status ?? {});
      return stopAsking();
    case 'UNAUTHENTICATED':
      show('signIn');
      return stopAsking();
    default:
      return fail(result);
  }
}

function applyStatus(v) {
  if (v.ticket) rememberPlace(v.ticket, v.ahead);
  switch (v.status) {
    case 'WAITING':
      if (v.preQueue) show('preQueue', { until: targetOf(state.info) });
      else show('waiting', v);
      return keepAsking(v);
    case 'PROCESSING':
      show('processing', v);
      return keepAsking(v);
    case 'ISSUED':
      show('issued', v);
      return stopAsking();
    case 'ALREADY_ISSUED':
      show('alreadyIssued', v);
      return stopAsking();
    case 'SOLD_OUT':
      show('soldOut', v);
      return stopAsking();
    case 'REJECTED':
      show('rejected', v);
      return stopAsking();
    case 'EVENT_CLOSED':
      show('closed', v);
      return stopAsking();
    case 'EVENT_NOT_OPEN':
      landing();
      // Read the schedule again at the server's pace (it may move); the countdown
      // itself ends the wait when it reaches zero. The stream ends here: join first.
      state.infoStale = true;
      push.close();
      return poller.after(v.pollAfterMs);
    case 'UNKNOWN_EVENT':
      show('unknown');
      return stopAsking();
    default: // NOT_IN_QUEUE
      if (session.loadPlace(eventId)) session.savePlace(eventId, null);
      landing();
      return stopAsking();
  }
}

/** Not in line: what the event's phase offers (a countdown, a join button, or its end). */
function landing() {
  const info = state.info ?? {};
  switch (info.phase) {
    case 'Scheduled':
      return show('notOpen', {
        until: targetOf(info),
        preQueue: Boolean(info.preQueueOpensAt) && info.nextChangeAt === info.preQueueOpensAt,
      });
    case 'PreQueue':
      return show('canJoin', { preQueue: true, until: targetOf(info) });
    case 'SoldOut':
      return show('soldOut');
    case 'Closed':
      return show('closed', { reason: 'EVENT_ENDED' });
    case 'Open':
    case 'Paused':
      return show('canJoin', {});
    default:
      return show('error', { message: info.phase ?? '' });
  }
}

function join() {
  if (state.joining) return;
  state.joining = true;
  // The button stays (and keeps focus) while it works; the next view takes focus.
  const button = $('join');
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('joining'));
  }
  poller.runNow();
}

function retryNow() {
  clearTrouble();
  if (state.view.kind === 'error') show('loading');
  state.infoStale = true;
  poller.runNow();
}

/** A countdown reached zero: the next phase is known, the event is read again soon. */
function countdownEnded() {
  const kind = state.view.kind;
  if (kind === 'notOpen') {
    const preQueue = state.view.data.preQueue;
    show('canJoin', { preQueue, until: undefined });
  }
  state.infoStale = true;
  poller.after(Math.random() * OPENING_SPREAD_MS);
}

function tick() {
  let ended = false;
  for (const el of document.querySelectorAll('[data-until]')) {
    const left = Number(el.dataset.until) - Date.now();
    el.textContent = left > 0 ? state.i18n.clock(left) : t('openingNow');
    if (left <= 0 && !el.dataset.ended) {
      el.dataset.ended = '1';
      ended = true;
    }
  }
  if (state.problem) renderProblem();
  if (ended) countdownEnded();
}

function setLanguage(lang) {
  if (!LANGUAGES.includes(lang) || lang === state.i18n.lang) return;
  state.i18n = createI18n(lang);
  render();
}

function start() {
  for (const button of $('languages').querySelectorAll('button'))
    button.addEventListener('click', () => {
      session.saveLanguage(button.dataset.lang);
      setLanguage(button.dataset.lang);
    });
  document.addEventListener('visibilitychange', () => poller.setHidden(document.hidden));
  window.addEventListener('online', () => poller.online());
  window.addEventListener('offline', () => push.offline());
  // Another tab joined, or changed the language: follow it.
  window.addEventListener('storage', (e) => {
    if (e.key === session.languageKey && e.newValue) setLanguage(e.newValue);
    if (
      e.key === session.placeKey(eventId) &&
      e.newValue &&
      ['canJoin', 'notOpen'].includes(state.view.kind)
    )
      poller.runNow();
  });
  // Whole seconds, so the countdowns move together with the clock.
  const tickEverySecond = () => {
    tick();
    setTimeout(tickEverySecond, 1000 - (Date.now() % 1000) + 5);
  };
  render();
  tickEverySecond();
  poller.setHidden(document.hidden);
  poller.runNow();
}

start();
