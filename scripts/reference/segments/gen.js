// Differential corpus for cartnudge's segment counter (src/message/segments.rs), answered by
// Twilio's calculator (sms-segments-calculator, pinned in package.json / package-lock.json).
//   cd scripts/reference/segments && npm ci && npm run gen
// Texts sit around the 70/67/134/140/160/153/306/459 boundaries, with GSM extension characters
// (two septets), surrogate pairs and multi-code-point emoji placed at and around part
// boundaries, Cyrillic, CJK, line breaks, plus ordinary marketing texts. Deterministic: a fixed
// seed, so regenerating gives the same file for the same calculator version.
'use strict';
const { SegmentedMessage } = require('sms-segments-calculator');

let seed = 0x2545f491;
function rand() {
  // xorshift32
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 0x100000000;
}
const pick = (a) => a[Math.floor(rand() * a.length)];

const GSM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;!?-+*/()#%&\'"=<>@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà\n'.split('');
const EXT = '^{}\\[~]|€'.split('');
const CYR = 'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ'.split('');
const BMP_OTHER = ['ç', '中', '文', 'ü', 'ß', '–', '’', '“', '”', '\u00a0', '`', '♥', 'ö', 'ł', 'ğ'];
const EMOJI = ['🛒', '😀', '🎁', '👍', '❤️', '👍🏽', '🇫🇷', '👨‍👩‍👧', '✅', '🔥'];

const out = [];
function add(text, why) {
  const m = new SegmentedMessage(text);
  out.push(JSON.stringify({ text, encoding: m.encodingName, segments: m.segmentsCount, why }));
}

// 1. Pure GSM around the single/multi boundaries, with an extension character at every position
//    near a part boundary.
for (const n of [158, 159, 160, 161, 162, 304, 305, 306, 307, 458, 459, 460]) {
  add('a'.repeat(n), `gsm length ${n}`);
}
for (const total of [160, 161, 306, 307, 459, 460]) {
  for (let pos = 150; pos <= 156; pos++) {
    for (const e of ['~', '€', '{', '\\']) {
      const body = 'b'.repeat(total - 2);
      add(body.slice(0, pos) + e + body.slice(pos), `ext ${e} at ${pos} of ${total} septets`);
    }
  }
  for (let pos = 302; pos <= 308 && pos < total; pos++) {
    add('c'.repeat(pos) + '^' + 'c'.repeat(Math.max(0, total - pos - 2)), `ext at ${pos}`);
  }
}
// 2. UCS-2 around 70/67/134/201, with a surrogate pair straddling each part boundary.
for (const n of [68, 69, 70, 71, 72, 133, 134, 135, 136, 200, 201, 202]) {
  add('ж'.repeat(n), `ucs length ${n}`);
}
for (const total of [70, 71, 134, 135, 136, 201, 202]) {
  for (let pos = 63; pos <= 70; pos++) {
    for (const e of ['🛒', '👍🏽', '🇫🇷']) {
      const body = 'д'.repeat(Math.max(0, total - e.length));
      add(body.slice(0, pos) + e + body.slice(pos), `${e} at unit ${pos} of ${total}`);
    }
  }
  for (let pos = 130; pos <= 136 && pos < total; pos++) {
    add('п'.repeat(pos) + '😀' + 'п'.repeat(Math.max(0, total - pos - 2)), `emoji at ${pos}`);
  }
}
// 3. Random texts near every boundary.
const TARGETS = [67, 70, 134, 140, 153, 160, 201, 268, 306, 459];
for (let i = 0; i < 1400; i++) {
  const target = pick(TARGETS) + Math.floor(rand() * 9) - 4;
  const kind = rand();
  let text = '';
  if (kind < 0.4) {
    while (text.length < target) text += rand() < 0.06 ? pick(EXT) : pick(GSM);
  } else if (kind < 0.7) {
    while (text.length < target) text += rand() < 0.05 ? pick(EMOJI) : rand() < 0.2 ? pick(GSM) : pick(CYR);
  } else if (kind < 0.85) {
    while (text.length < target) text += rand() < 0.04 ? pick(BMP_OTHER) : pick(GSM);
  } else {
    while (text.length < target) text += rand() < 0.08 ? pick(EMOJI) : rand() < 0.05 ? pick(EXT) : pick(GSM);
  }
  add(text, `random ${i}`);
}
// 4. Marketing texts as a shop would send them.
const NAMES = ['Anna', 'Boris', 'Zoë', 'Олег', 'María', 'Jean-Luc', 'Søren', 'O\'Brien'];
const TEMPLATES = [
  (n, t, l) => `${n}, your cart (${t}) is waiting: ${l} Reply STOP to opt out`,
  (n, t, l) => `Shop: ${n}, your cart awaits: ${l} STOP to opt out`,
  (n, t, l) => `${n}, вы забыли корзину на ${t}: ${l} Отписка: STOP`,
  (n, t, l) => `Hi ${n}! 🛒 Your basket (${t}) is still here: ${l} Reply STOP to opt out`,
  (n, t, l) => `${n}, {your} cart [${t}] ~ ${l} | STOP=end €`,
];
const TOTALS = ['$80', '€60.50', '3000 RUB', '12 999 ₽', '£45', '5000 JPY'];
for (let i = 0; i < 400; i++) {
  const link = `https://${'x'.repeat(5 + Math.floor(rand() * 25))}.example/c/${Math.floor(rand() * 1e8)}?utm_source=sms&utm_medium=sms&utm_campaign=cart`;
  add(pick(TEMPLATES)(pick(NAMES), pick(TOTALS), link), `marketing ${i}`);
}
process.stdout.write(out.join('\n') + '\n');
