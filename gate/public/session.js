// What the page remembers in the browser: the shopper's id (query identity mode), the
// signed ticket of each event joined (so a reload or a second tab resumes the same
// place), the language chosen, and a sign-in token handed over in the URL (jwt mode).
// Storage can be unavailable (private modes, disabled): then the page still works, it
// only forgets on reload.

const PREFIX = 'rediclaim.';
const memory = new Map();

function storage(kind) {
  try {
    const s = kind === 'session' ? window.sessionStorage : window.localStorage;
    const probe = `${PREFIX}probe`;
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return undefined;
  }
}

const local = storage('local');
const session = storage('session');

function get(store, key) {
  try {
    return store ? store.getItem(PREFIX + key) : (memory.get(key) ?? null);
  } catch {
    return memory.get(key) ?? null;
  }
}

function set(store, key, value) {
  memory.set(key, value);
  try {
    if (value === null) store?.removeItem(PREFIX + key);
    else store?.setItem(PREFIX + key, value);
  } catch {
    // Full or refused: the in-memory copy serves this page.
  }
}

const randomId = () =>
  window.crypto?.randomUUID?.() ??
  Array.from(window.crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/** The shopper's id in query mode: made once, kept for every event. */
export function shopperId() {
  let id = get(local, 'user');
  if (!id || !/^[A-Za-z0-9._@:+=-]{1,128}$/.test(id)) {
    id = `web-${randomId()}`;
    set(local, 'user', id);
  }
  return id;
}

/** The ticket's payload (readable by design: base64url JSON before the dot), or undefined. */
export function ticketPayload(ticket) {
  try {
    const part = String(ticket).split('.')[0].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(
      Uint8Array.from(window.atob(part), (c) => c.charCodeAt(0)),
    );
    const payload = JSON.parse(json);
    return typeof payload === 'object' && payload !== null ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The place held in an event: `{ ticket, user, firstAhead }`. `firstAhead` (the most
 * people ever ahead) makes the progress bar survive a reload.
 */
export function loadPlace(eventId) {
  try {
    const place = JSON.parse(get(local, `place.${eventId}`) ?? 'null');
    return place && typeof place.ticket === 'string' ? place : undefined;
  } catch {
    return undefined;
  }
}

export function savePlace(eventId, place) {
  set(local, `place.${eventId}`, place ? JSON.stringify(place) : null);
}

export const placeKey = (eventId) => `${PREFIX}place.${eventId}`;
export const languageKey = `${PREFIX}lang`;

export const loadLanguage = () => get(local, 'lang');
export const saveLanguage = (lang) => set(local, 'lang', lang);

/**
 * jwt mode: a token handed over in the URL's fragment (`#token=<JWT>`; a fragment never
 * reaches a server or its logs) is kept for this tab and removed from the address bar.
 */
export function takeTokenFromUrl() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get('token');
  if (!token) return;
  set(session, 'token', token);
  params.delete('token');
  const rest = params.toString();
  window.history.replaceState(
    null,
    '',
    window.location.pathname + window.location.search + (rest ? `#${rest}` : ''),
  );
}

/** The sign-in token: the site's hook `window.rediclaimAuth()` first, else the handed-over one. */
export async function signInToken() {
  const hook = window.rediclaimAuth;
  if (typeof hook === 'function') {
    const token = await hook();
    if (typeof token === 'string' && token !== '') return token;
  }
  return get(session, 'token') ?? undefined;
}

/** The subject of a JWT (not verified: only to tell whose stored ticket this is). */
export function tokenSubject(token) {
  const payload = ticketPayload(String(token).split('.')[1] ?? '');
  return typeof payload?.sub === 'string' ? payload.sub : undefined;
}
