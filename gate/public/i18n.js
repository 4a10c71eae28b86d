// The page's words in English and Korean, and Intl formatting in the chosen locale.
// A message is a string with {name} placeholders, or a function of its parameters when
// the grammar depends on them (English plurals). Both catalogs have the same keys (a
// unit test checks it).

export const LANGUAGES = ['en', 'ko'];

const en = {
  pageTitle: '{event} · Waiting room',
  languageNav: 'Language',
  loading: 'Loading the waiting room…',
  noScript: 'This waiting room needs JavaScript.',
  offer: '{discount}',
  remaining: ({ remaining, stock }) => `${remaining} of ${stock} coupons left`,
  perUser: ({ limit }) =>
    limit === '1' ? 'One coupon per shopper.' : `Up to ${limit} per shopper.`,
  closesAt: 'The sale ends {time}.',

  notOpenTitle: 'Not open yet',
  opensPreQueue: 'The waiting room opens in',
  opensSale: 'The sale opens in',
  opensAtTime: 'Opens {time}.',
  preQueueNote:
    'Join before the sale opens: everyone who joins early gets a fair, random place when it opens.',
  openingNow: 'Opening now…',

  joinTitle: 'Get in line',
  joinTitlePreQueue: 'The waiting room is open',
  joinButton: 'Join the queue',
  joinHelp:
    'Coupons go to shoppers in the order they join. Keep this page open; you can reload it without losing your place.',
  joinHelpPreQueue: 'Join now: places are drawn fairly at random when the sale opens {time}.',
  joining: 'Joining…',
  checkingBrowser: 'Checking your browser…',
  paused: 'Admission is paused for now; your place is kept.',

  preQueueTitle: "You're in the waiting room",
  preQueueBody:
    'Your place will be drawn at random when the sale opens, among everyone who joined before it.',
  saleOpensIn: 'The sale opens in',

  waitingTitle: "You're in line",
  position: 'Your place',
  ahead: 'People ahead of you',
  eta: 'Estimated wait',
  etaUnknown: 'Unknown',
  etaPaused: 'Paused',
  etaSoon: 'Any moment',
  progress: 'Progress',
  keepOpen: 'Keep this page open. It updates by itself; reloading keeps your place.',
  announceWaiting: ({ rank, eta }) =>
    `You are number ${rank} in line.${eta ? ` Estimated wait: ${eta}.` : ''}`,

  processingTitle: "You're at the front",
  processingBody: 'Getting your coupon…',

  issuedTitle: 'Your coupon is ready',
  couponCode: 'Coupon code',
  copy: 'Copy code',
  copied: 'Copied',
  copiedAnnounce: 'The coupon code was copied.',
  copyFailed: 'Select the code to copy it.',
  validFrom: 'Valid from',
  validUntil: 'Valid until',
  couponState: 'Status',
  couponAvailable: 'Available',
  couponUsed: 'Used',
  couponUsedOn: 'Used on {time}',
  discount: 'Discount',
  issuedCount: ({ count }) => `You hold ${count} coupons from this event.`,
  announceIssued: 'Your coupon is ready. Code {code}. {discount}.',

  alreadyTitle: 'You already have this coupon',
  alreadyBody: 'Each shopper may get only so many coupons from this event, and you have them.',

  soldOutTitle: 'Sold out',
  soldOutBody: 'Every coupon of this event has been given out. Thank you for waiting.',

  rejectedTitle: 'No coupon this time',
  rejectedBody: 'Your request could not be fulfilled.',
  reason_COUPON_WINDOW_ENDED: 'The coupons were no longer valid when your turn came.',
  reason_STOCK_BELOW_ISSUED: 'The number of coupons was reduced before your turn.',
  reasonOther: 'Reason: {reason}.',

  closedTitle: 'This event has ended',
  closedBody: 'The sale is over.',
  closedDeleted: 'This event was withdrawn.',

  unknownTitle: 'No such event',
  unknownBody: 'Check the address of this page.',

  signInTitle: 'Sign in to join',
  signInBody: 'Open this waiting room from the shop after signing in.',

  errorTitle: 'Something went wrong',
  errorBody: 'The waiting room could not answer: {message}',
  retryNow: 'Try again',

  offline: ({ seconds }) => `Connection lost. Retrying in ${seconds} s.`,
  busy: ({ seconds }) => `The waiting room is busy. Retrying in ${seconds} s.`,
  queueFull: ({ seconds }) => `The queue is full right now. Trying again in ${seconds} s.`,
  retrying: 'Retrying…',
  announceProblem: 'Connection problem; retrying automatically.',

  days: ({ n }) => (n === '1' ? '1 day' : `${n} days`),
};

const ko = {
  pageTitle: '{event} · 대기실',
  languageNav: '언어',
  loading: '대기실을 불러오는 중…',
  noScript: '이 대기실은 자바스크립트가 필요합니다.',
  offer: '{discount}',
  remaining: ({ remaining, stock }) => `쿠폰 ${stock}장 중 ${remaining}장 남음`,
  perUser: ({ limit }) => `1인당 최대 ${limit}장.`,
  closesAt: '판매 종료: {time}.',

  notOpenTitle: '아직 열리지 않았습니다',
  opensPreQueue: '대기실 오픈까지',
  opensSale: '판매 시작까지',
  opensAtTime: '오픈: {time}.',
  preQueueNote:
    '판매 시작 전에 입장하세요. 미리 입장한 모든 분께 오픈 시각에 공정한 무작위 순번을 드립니다.',
  openingNow: '곧 열립니다…',

  joinTitle: '줄 서기',
  joinTitlePreQueue: '대기실이 열렸습니다',
  joinButton: '대기열 참여',
  joinHelp:
    '쿠폰은 참여한 순서대로 지급됩니다. 이 페이지를 열어 두세요. 새로고침해도 순번은 유지됩니다.',
  joinHelpPreQueue: '지금 입장하세요. 판매가 시작되는 {time}에 순번을 공정하게 무작위로 정합니다.',
  joining: '참여하는 중…',
  checkingBrowser: '브라우저를 확인하는 중…',
  paused: '입장이 잠시 멈췄습니다. 순번은 그대로 유지됩니다.',

  preQueueTitle: '대기실에 입장했습니다',
  preQueueBody: '판매가 시작되면 미리 입장한 분들 사이에서 순번을 무작위로 정합니다.',
  saleOpensIn: '판매 시작까지',

  waitingTitle: '대기 중입니다',
  position: '내 순번',
  ahead: '내 앞 대기 인원',
  eta: '예상 대기 시간',
  etaUnknown: '알 수 없음',
  etaPaused: '일시 정지',
  etaSoon: '곧',
  progress: '진행률',
  keepOpen: '이 페이지를 열어 두세요. 자동으로 갱신되며, 새로고침해도 순번이 유지됩니다.',
  announceWaiting: ({ rank, eta }) =>
    `현재 ${rank}번째입니다.${eta ? ` 예상 대기 시간: ${eta}.` : ''}`,

  processingTitle: '곧 차례입니다',
  processingBody: '쿠폰을 발급하는 중…',

  issuedTitle: '쿠폰이 발급되었습니다',
  couponCode: '쿠폰 코드',
  copy: '코드 복사',
  copied: '복사됨',
  copiedAnnounce: '쿠폰 코드를 복사했습니다.',
  copyFailed: '코드를 선택해 복사하세요.',
  validFrom: '사용 시작',
  validUntil: '사용 기한',
  couponState: '상태',
  couponAvailable: '사용 가능',
  couponUsed: '사용 완료',
  couponUsedOn: '{time} 사용 완료',
  discount: '할인',
  issuedCount: ({ count }) => `이 이벤트의 쿠폰 ${count}장을 보유하고 있습니다.`,
  announceIssued: '쿠폰이 발급되었습니다. 코드 {code}. {discount}.',

  alreadyTitle: '이미 쿠폰을 받으셨습니다',
  alreadyBody: '이 이벤트에서 받을 수 있는 쿠폰을 모두 받으셨습니다.',

  soldOutTitle: '매진',
  soldOutBody: '이 이벤트의 쿠폰이 모두 소진되었습니다. 기다려 주셔서 감사합니다.',

  rejectedTitle: '쿠폰을 발급하지 못했습니다',
  rejectedBody: '요청을 처리할 수 없었습니다.',
  reason_COUPON_WINDOW_ENDED: '차례가 되었을 때 쿠폰 사용 기간이 이미 끝났습니다.',
  reason_STOCK_BELOW_ISSUED: '차례가 오기 전에 쿠폰 수량이 줄었습니다.',
  reasonOther: '사유: {reason}.',

  closedTitle: '종료된 이벤트입니다',
  closedBody: '판매가 끝났습니다.',
  closedDeleted: '이 이벤트는 취소되었습니다.',

  unknownTitle: '없는 이벤트입니다',
  unknownBody: '페이지 주소를 확인해 주세요.',

  signInTitle: '로그인이 필요합니다',
  signInBody: '쇼핑몰에 로그인한 뒤 이 대기실을 다시 열어 주세요.',

  errorTitle: '문제가 발생했습니다',
  errorBody: '대기실이 응답하지 못했습니다: {message}',
  retryNow: '다시 시도',

  offline: ({ seconds }) => `연결이 끊겼습니다. ${seconds}초 후 다시 시도합니다.`,
  busy: ({ seconds }) => `대기실이 혼잡합니다. ${seconds}초 후 다시 시도합니다.`,
  queueFull: ({ seconds }) => `지금은 대기열이 가득 찼습니다. ${seconds}초 후 다시 시도합니다.`,
  retrying: '다시 시도하는 중…',
  announceProblem: '연결에 문제가 있어 자동으로 다시 시도합니다.',

  days: ({ n }) => `${n}일`,
};

export const catalogs = { en, ko };

/** The saved choice, else the first of the browser's languages we speak, else English. */
export function pickLanguage(saved, browserLanguages) {
  if (LANGUAGES.includes(saved)) return saved;
  for (const tag of browserLanguages ?? []) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

const fill = (template, params) =>
  template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));

/** Minor units → the currency's major units (KRW has none, USD two), as Intl knows them. */
function majorUnits(minor, currency) {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  return minor / 10 ** digits;
}

/** Messages and formatting for one language; `timeZone` only for tests. */
export function createI18n(lang, { timeZone } = {}) {
  const catalog = catalogs[lang] ?? catalogs.en;
  const locale = lang === 'ko' ? 'ko-KR' : 'en';
  const numbers = new Intl.NumberFormat(locale);
  const dates = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone ? { timeZone } : {}),
  });
  const two = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false });
  const unit = (u, n) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'long' }).format(n);

  const i18n = {
    lang,
    locale,
    /** The message `key` with its parameters (numbers are formatted before they get here). */
    t(key, params = {}) {
      const message = catalog[key] ?? en[key] ?? key;
      return typeof message === 'function' ? message(params) : fill(message, params);
    },
    number: (n) => numbers.format(n),
    dateTime: (iso) => dates.format(new Date(iso)),
    money(minor, currency) {
      return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(
        majorUnits(minor, currency),
      );
    },
    /** "10% off (up to ₩5,000), on orders of ₩30,000 or more" / "10% 할인 (최대 ₩5,000), ₩30,000 이상 주문 시". */
    discount(d) {
      if (!d) return '';
      const money = (minor) => i18n.money(minor, d.currency ?? 'XXX');
      const percent = new Intl.NumberFormat(locale, {
        style: 'percent',
        maximumFractionDigits: 2,
      }).format((d.percent ?? 0) / 100);
      const ko = lang === 'ko';
      let text =
        d.type === 'percent'
          ? `${percent} ${ko ? '할인' : 'off'}`
          : `${money(d.amount ?? 0)} ${ko ? '할인' : 'off'}`;
      if (d.type === 'percent' && d.maxAmount !== undefined)
        text += ko ? ` (최대 ${money(d.maxAmount)})` : ` (up to ${money(d.maxAmount)})`;
      if (d.minOrderAmount !== undefined)
        text += ko
          ? `, ${money(d.minOrderAmount)} 이상 주문 시`
          : `, on orders of ${money(d.minOrderAmount)} or more`;
      return text;
    },
    /** A wait in words, rounded as people say it: "45 seconds", "3 minutes", "1 hour, 5 minutes". */
    duration(seconds) {
      const s = Math.max(0, Math.round(seconds));
      if (s < 60) return unit('second', s);
      if (s < 3600) return unit('minute', Math.round(s / 60));
      const h = Math.floor(s / 3600);
      const m = Math.round((s % 3600) / 60);
      return m === 0
        ? unit('hour', h)
        : `${unit('hour', h)}${lang === 'ko' ? ' ' : ', '}${unit('minute', m)}`;
    },
    /** A countdown clock: "05:07", "1:02:03", "2 days 03:04:05". */
    clock(ms) {
      const total = Math.max(0, Math.ceil(ms / 1000));
      const days = Math.floor(total / 86_400);
      const h = Math.floor((total % 86_400) / 3600);
      const m = Math.floor((total % 3600) / 60);
      const s = total % 60;
      const hms =
        h > 0 || days > 0
          ? `${days > 0 ? two.format(h) : numbers.format(h)}:${two.format(m)}:${two.format(s)}`
          : `${two.format(m)}:${two.format(s)}`;
      return days > 0 ? `${i18n.t('days', { n: numbers.format(days) })} ${hms}` : hms;
    },
  };
  return i18n;
}
