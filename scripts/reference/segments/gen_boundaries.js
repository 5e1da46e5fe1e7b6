#!/usr/bin/env node
// Differential corpus for src/message/segments.rs.
//
// Writes fixtures/reference/segments-boundaries.jsonl: one JSON object per line,
//   {"id": "...", "text": "...", "encoding": "GSM-7"|"UCS-2", "units": N, "segments": S}
// where encoding, units and segments come from Twilio's `sms-segments-calculator` (pinned in
// package.json / package-lock.json), an implementation independent of cartnudge. `units` is septets
// for GSM-7 and UTF-16 code units for UCS-2, derived from the reference's own bit count
// (messageSize / 7 or / 16), so it is the reference's figure, not ours.
//
// Rerun (from the repository root):
//   cd scripts/reference/segments && npm ci && node gen.js
// The output is deterministic: a fixed-seed PRNG, no clock, no Math.random.
//
// What the reference does, read from its source (src/libs/*.ts in the npm package):
//  - The text is split into grapheme clusters (the `grapheme-splitter` package), except that a
//    "\r\n" cluster is split back into "\r" and "\n" (so CRLF is two septets that may land in
//    different parts, exactly like cartnudge's per-character count).
//  - Encoding is GSM-7 when every cluster is one UTF-16 unit found in its GSM table, else UCS-2.
//    Its table (UnicodeToGSM.ts) is the 3GPP TS 23.038 default alphabet (127 characters, 0x1B ESC
//    excluded) plus the 10 characters of the default extension table, which cost two septets:
//    form feed (ESC 0x0A), ^ { } \ [ ~ ] | and €. We checked it character by character against
//    cartnudge's table: identical, 137 entries each. 0x09 is "Ç" (capital) in both, as the
//    23.038 table prints it and as Android's GsmAlphabet maps it, so "ç" (small) forces UCS-2 in
//    both. NBSP, typographic quotes/dashes, "`" and every other character force UCS-2 in both.
//  - Smart Encoding (Twilio's substitution of look-alikes) is off by default and we leave it off:
//    cartnudge's own `gsm_normalize` is kept out of this comparison, we compare raw-text counting.
//  - Packing: a part holds 140 octets; a concatenated message reserves a 6-octet UDH in every part
//    (153 septets / 67 UTF-16 units). A character (cluster) that does not fit whole opens the next
//    part, so an escape sequence or a surrogate pair is never split. A single part holds 160 / 70.
//
// Excluded from the corpus, with the reason:
//  - Multi-code-point grapheme clusters (emoji + U+FE0F, skin-tone modifiers, ZWJ sequences, flags
//    made of two regional indicators, keycaps, letters + combining marks). The reference keeps a
//    whole cluster in one part, and so does Android (SmsMessageBase.findNextUnicodePosition uses a
//    character BreakIterator), but 3GPP TS 23.038/23.040 know nothing of grapheme clusters: they
//    only forbid splitting a character (here: an escape sequence, or a UTF-16 surrogate pair,
//    which is one character). Cluster boundaries also depend on the Unicode version: the
//    reference's grapheme-splitter 1.0.4 implements the Unicode 10/11-era rules (E_Base,
//    Glue_After_Zwj), while Android's ICU and today's UAX #29 use Extended_Pictographic, so the two
//    "real splitters" disagree with each other on newer ZWJ sequences. cartnudge has no grapheme
//    segmentation (it would need unicode-segmentation or Unicode property tables); it counts per
//    code point. The generator asserts that every text here is one code point per cluster.
//  - Lone surrogates: a Rust &str cannot hold them; the generator asserts well-formed UTF-16.
'use strict';

const fs = require('fs');
const path = require('path');
const { SegmentedMessage } = require('sms-segments-calculator');

const OUT = path.resolve(__dirname, '../../../fixtures/reference/segments-boundaries.jsonl');

// ---- deterministic randomness -------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(0x5e6_2026);
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)); // inclusive
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];

// ---- alphabets ----------------------------------------------------------------------------------

// GSM 03.38 default alphabet, in table order, without 0x1B (ESC).
const GSM_BASIC = [
  ...'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?',
  ...'¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
];
// Default extension table: two septets each (ESC + code).
const GSM_EXT = ['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];
// Filler that looks like text: letters, digits, spaces, common punctuation (all one septet).
const GSM_FILL = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789      .,!?-:;\'"%&()/+=@$£'];
const CYRILLIC = [...'абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ'];
const CYR_FILL = [...CYRILLIC, ...CYRILLIC, ' ', ' ', ' ', ' ', ',', '.', '!'];
// Astral characters: one code point, two UTF-16 units, one grapheme cluster on their own.
const ASTRAL = ['😀', '🛒', '🎁', '🔥', '💳', '📦', '🚚', '🛍', '💰', '😍', '🙂', '🤑', '🥳', '🧾', '𝐀', '𠀀', '🀄'];
// BMP characters outside GSM 03.38 (each forces UCS-2, one UTF-16 unit, one cluster).
const BMP_NON_GSM = [
  'ç', '`', '\u00a0', '’', '‘', '“', '”', '–', '—', '…', '«', '»', '•', 'á', 'í', 'ó', 'ú', 'ł', 'ő',
  'ğ', 'ş', 'α', 'β', 'ж', 'ё', '中', '文', '¢', '©', '®', '™', '°', '±', '×', '÷', '₽', '₴', '\t',
  '❤', '★', '✓', '✅', '☎', '\u2009', '\u202f', 'ÿ', 'Ï', 'Ê', 'Â', 'Œ', 'œ', '¨',
];
// In a UCS-2 message every GSM character, extension ones included, is one UTF-16 unit.

const gsmFill = (n) => Array.from({ length: n }, () => pick(GSM_FILL)).join('');
const cyrFill = (n) => Array.from({ length: n }, () => pick(CYR_FILL)).join('');
const astralFill = (n) => Array.from({ length: n }, () => pick(ASTRAL)).join('');

// ---- corpus ---------------------------------------------------------------------------------------

const cases = [];
const seen = new Set();
function add(id, text) {
  if (seen.has(text)) return;
  seen.add(text);
  cases.push({ id, text });
}

const range = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const GSM_EDGES = [160, 153, 306, 459, 612];
const UCS_EDGES = [70, 67, 134, 201, 268];

// A. Plain GSM-7 around 160 / 153 / 306 / 459 / 612 septets.
for (const L of [...range(150, 170), ...range(300, 312), ...range(453, 465), ...range(606, 618)]) {
  add(`gsm-plain L=${L}`, gsmFill(L));
}

// B. One extension character (two septets) starting at septet p of a T-septet text, around every
//    part boundary: the straddling case is p = 152 (septets 153-154, 1-based) of 306.
{
  let k = 0;
  for (const T of [158, 159, 160, 161, 162, 304, 305, 306, 307, 308, 457, 458, 459, 460, 461, 612, 613]) {
    for (const edge of [153, 160, 306, 459, 612]) {
      for (const p of range(edge - 3, edge + 2)) {
        if (p < 0 || p + 2 > T) continue;
        const c = GSM_EXT[k++ % GSM_EXT.length];
        add(`gsm-ext T=${T} p=${p} c=${JSON.stringify(c)}`, gsmFill(p) + c + gsmFill(T - p - 2));
      }
    }
  }
}

// C. Several extension characters, random positions, totals near the boundaries.
for (let i = 0; i < 300; i++) {
  const T = pick(GSM_EDGES) + int(-6, 6);
  const n = int(2, 12);
  const chars = Array.from({ length: T }, () => pick(GSM_FILL));
  for (let j = 0; j < n; j++) {
    const at = int(0, chars.length - 1);
    chars.splice(at, 2, pick(GSM_EXT)); // replace two septets by one escape sequence
  }
  add(`gsm-multi-ext #${i}`, chars.join(''));
}
// Extension-only texts: 76 escapes fill a 153-septet part with one septet left over.
for (const n of [...range(74, 82), ...range(150, 155), ...range(226, 232), ...range(302, 308)]) {
  const c = GSM_EXT[n % GSM_EXT.length];
  add(`gsm-ext-only n=${n} c=${JSON.stringify(c)}`, c.repeat(n));
}
// Alternating one-septet and two-septet characters.
for (const n of [...range(50, 56), ...range(100, 104), ...range(150, 156)]) {
  add(`gsm-alternating n=${n}`, Array.from({ length: n }, (_, i) => (i % 2 ? '€' : 'x')).join(''));
}

// D. Every GSM character alone and at the straddling positions of a 160/306-septet text.
GSM_BASIC.forEach((c, i) => {
  add(`gsm-single basic#${i}`, c);
  add(`gsm-basic-at-160 #${i}`, gsmFill(159) + c);
  add(`gsm-basic-after-160 #${i}`, gsmFill(160) + c);
});
GSM_EXT.forEach((c, i) => {
  add(`gsm-single ext#${i}`, c);
  add(`gsm-ext-at-160 #${i}`, gsmFill(158) + c);
  add(`gsm-ext-over-160 #${i}`, gsmFill(159) + c);
  add(`gsm-ext-straddle-306 #${i}`, gsmFill(152) + c + gsmFill(152));
  add(`gsm-ext-fits-306 #${i}`, gsmFill(151) + c + gsmFill(153));
});
add('empty', '');

// E. Line breaks and form feed at part boundaries (form feed is ESC 0x0A: two septets).
for (const brk of ['\n', '\r', '\r\n', '\n\n', '\f', '\r\n\r\n', '\f\n']) {
  for (const p of [...range(150, 154), ...range(157, 160), ...range(303, 307)]) {
    for (const T of [160, 161, 306, 307]) {
      const rest = T - p - [...brk].reduce((s, c) => s + (c === '\f' ? 2 : 1), 0);
      if (rest < 0) continue;
      add(`gsm-break ${JSON.stringify(brk)} p=${p} T=${T}`, gsmFill(p) + brk + gsmFill(rest));
    }
  }
}

// F. Plain UCS-2 (Cyrillic) around 70 / 67 / 134 / 201 / 268 units.
for (const L of [...range(60, 75), ...range(128, 140), ...range(195, 206), ...range(262, 272)]) {
  add(`ucs-cyr L=${L}`, cyrFill(L));
}

// G. One astral character (a surrogate pair) starting at unit q of a U-unit Cyrillic text; the
//    issue's case is q = 66 (units 67-68, 1-based) of 134.
{
  let k = 0;
  for (const U of [69, 70, 71, 72, 133, 134, 135, 136, 200, 201, 202, 203, 267, 268, 269]) {
    for (const edge of [67, 70, 134, 201, 268]) {
      for (const q of range(edge - 3, edge + 1)) {
        if (q < 0 || q + 2 > U) continue;
        const e = ASTRAL[k++ % ASTRAL.length];
        add(`ucs-astral U=${U} q=${q} e=${e}`, cyrFill(q) + e + cyrFill(U - q - 2));
      }
    }
  }
}

// H. Several astral characters, with Latin, Cyrillic or GSM-extension filler.
for (let i = 0; i < 300; i++) {
  const U = pick(UCS_EDGES) + int(-5, 5);
  const fill = pick([cyrFill, gsmFill, (n) => Array.from({ length: n }, () => pick([...GSM_FILL, ...GSM_EXT])).join('')]);
  const units = Array.from(fill(U));
  const n = int(1, 10);
  for (let j = 0; j < n; j++) units.splice(int(0, units.length - 1), 2, pick(ASTRAL));
  add(`ucs-multi-astral #${i}`, units.join(''));
}
// Astral-only texts: 33 pairs fill 66 of a part's 67 units.
for (const n of [...range(33, 36), ...range(64, 68), ...range(98, 102), ...range(132, 136)]) {
  add(`ucs-astral-only n=${n}`, astralFill(n));
}

// I. GSM text made UCS-2 by one BMP character, at the start, at the boundaries, at the end; and
//    GSM extension characters inside UCS-2 texts (one unit each there).
BMP_NON_GSM.forEach((c, i) => {
  add(`ucs-one-bmp #${i} alone`, c);
  for (const [L, q] of [[70, 69], [70, 0], [71, 35], [134, 66], [134, 67], [135, 133], [160, 80], [201, 200]]) {
    add(`ucs-one-bmp #${i} L=${L} q=${q}`, gsmFill(q) + c + gsmFill(L - q - 1));
  }
});
for (let i = 0; i < 120; i++) {
  const U = pick(UCS_EDGES) + int(-3, 3);
  const units = Array.from(cyrFill(U));
  for (let j = int(1, 8); j > 0; j--) units[int(0, units.length - 1)] = pick(GSM_EXT);
  add(`ucs-ext-in-ucs #${i}`, units.join(''));
}
// An astral character in an otherwise GSM text, at and around the 67/70 boundaries.
for (const U of [69, 70, 71, 134, 135]) {
  for (const q of [0, 64, 65, 66, 67, 68, 132, 133]) {
    if (q + 2 > U) continue;
    add(`ucs-astral-in-gsm U=${U} q=${q}`, gsmFill(q) + pick(ASTRAL) + gsmFill(U - q - 2));
  }
}
// Line breaks and form feed in UCS-2 texts.
for (const brk of ['\n', '\r\n', '\f', '\r']) {
  for (const q of [65, 66, 67, 68, 69, 133, 134]) {
    for (const U of [70, 71, 134, 135]) {
      const rest = U - q - brk.length;
      if (rest < 0) continue;
      add(`ucs-break ${JSON.stringify(brk)} q=${q} U=${U}`, cyrFill(q) + brk + cyrFill(rest));
    }
  }
}

// J. Ordinary marketing texts: the shapes cartnudge actually sends.
const NAMES = ['Anna', 'John', 'María', 'Jürgen', 'Zoë', 'Łukasz', 'Анна', 'Дмитрий', 'Ольга', 'Chloé', 'François', 'Søren', '', 'Mr. O\'Neil', 'Customer'];
const STORES = ['Acme', 'Shoe Box', 'Tee & Co', 'Магазин "Уют"', 'Café Ümlaut', 'Best{Deals}', 'Zara~ish', 'Pixel|Shop'];
const TOTALS = ['5000 ₽', '49.90 €', '€49.90', '$120.00', '£15', '1 299,00 ₽', '¥3500', '129,99 EUR', '1299 RUB', '[19.99 USD]'];
const LINKS = [
  'https://shop.example/cart/{id}?utm_source=sms&utm_medium=abandoned_cart&utm_campaign=winter',
  'https://ex.co/c/{id}',
  'https://магазин.рф/корзина/{id}',
  'https://shop.example/r?c={id}&t=~abc|def^',
  'shop.example/{id}',
];
const SUFFIXES = ['', ' STOP to opt out', ' Reply STOP to unsubscribe.', '\nSTOP: reply NO', ' Отписка: СТОП', ' Stop? Reply STOP.'];
const TEMPLATES = [
  'Hi {name}, you left {items} items ({total}) in your cart at {store}. Complete your order: {link}',
  '{name}, your cart at {store} is waiting! {total} - finish checkout here: {link}',
  'Hello {name}! Forgot something? Your {store} basket ({items} items, {total}) is saved: {link} Hurry, stock is limited and prices may change soon.',
  'Здравствуйте, {name}! Вы оставили в корзине {items} товара на {total}. Оформить заказ: {link}',
  '{name}, ваша корзина в {store} ждёт вас 🛒 Сумма {total}. Завершите покупку: {link}',
  'Hallo {name}, in Ihrem Warenkorb bei {store} liegen noch {items} Artikel ({total}). Jetzt bestellen: {link}',
  'Hola {name}, ¡tu carrito en {store} te espera! Total {total}. Termina tu compra: {link}',
  'Bonjour {name}, votre panier {store} ({total}) vous attend. Finalisez votre commande : {link}',
  '{name}: 10% off today only with code SAVE10 🎁 Your cart ({total}) at {store}: {link}',
  'Hi {name} 👋 still thinking? {store} saved your cart: {link}',
  '{store}: {name}, your items are almost gone 🔥🔥 {total} -> {link}',
  'Dear {name},\nyour cart at {store} holds {items} items worth {total}.\nComplete your order here:\n{link}\nThank you!',
  'Hi {name}, it’s {store} – your cart ({total}) is still here… {link}',
  '{name}, {store} {{VIP}} offer: free shipping over {total}! [Limited] ~ today only ~ {link}',
  'Уважаемый(ая) {name}!\r\nВаш заказ на сумму {total} не оформлен.\r\nСсылка: {link}\r\nМагазин {store}',
  '{name}, get 15% off your {items} items ({total})! Use code CART15 at checkout within 24h. Free delivery on orders over 50€. Questions? Call us. {link} {store} team',
];
for (let i = 0; i < 700; i++) {
  const id = Math.floor(rnd() * 1e9).toString(36);
  const repeat = rnd() < 0.25 ? 2 : 1; // longer, multi-part messages
  let text = '';
  for (let r = 0; r < repeat; r++) {
    text += (r ? ' ' : '') + pick(TEMPLATES)
      .replaceAll('{name}', pick(NAMES) || 'there')
      .replaceAll('{items}', String(int(1, 12)))
      .replaceAll('{total}', pick(TOTALS))
      .replaceAll('{store}', pick(STORES))
      .replaceAll('{link}', pick(LINKS).replaceAll('{id}', id));
  }
  text += pick(SUFFIXES);
  add(`marketing #${i}`, text);
}

// L. Totals that fill k parts exactly or nearly (k x 153 - j septets, k x 67 - j units, j < k):
//    the only totals where a straddling escape sequence or surrogate pair costs a part, since each
//    straddle wastes one unit. The builder tracks where parts would end (greedy packing, as the
//    comment at the top describes) only to put a wide character across most boundaries; the
//    answer still comes from the reference.
for (let i = 0; i < 400; i++) {
  const k = int(2, 5);
  const gsm = i % 2 === 0;
  const part = gsm ? 153 : 67;
  const target = k * part - (rnd() < 0.6 ? 0 : int(0, k - 1));
  const density = 0.02 + rnd() * 0.2;
  let text = '';
  let units = 0;
  let fill = 0;
  while (units < target) {
    const atEdge = fill === part - 1;
    const wide = units + 2 <= target && rnd() < (atEdge ? 0.7 : density);
    const c = wide ? pick(gsm ? GSM_EXT : ASTRAL) : pick(gsm ? GSM_FILL : CYR_FILL);
    const w = wide ? 2 : 1;
    text += c;
    units += w;
    fill = fill + w > part ? w : fill + w;
  }
  add(`${gsm ? 'gsm' : 'ucs'}-full-parts k=${k} T=${target} #${i}`, text);
}

// K. Fuzz: random mixtures at lengths near every boundary, biased to GSM so both encodings occur.
const POOLS = [
  { w: 6, chars: GSM_FILL },
  { w: 2, chars: GSM_BASIC },
  { w: 2, chars: GSM_EXT },
  { w: 1, chars: CYRILLIC },
  { w: 1, chars: BMP_NON_GSM },
  { w: 1, chars: ASTRAL },
];
for (let i = 0; i < 500; i++) {
  const target = pick([...GSM_EDGES, ...UCS_EDGES]) + int(-4, 4);
  // Most fuzz texts draw only from GSM pools, so GSM-7 multi-part texts are common too.
  const pools = rnd() < 0.5 ? POOLS.slice(0, 3) : POOLS;
  const total = pools.reduce((s, p) => s + p.w, 0);
  let text = '';
  let units = 0;
  while (units < target) {
    let x = rnd() * total;
    const pool = pools.find((p) => (x -= p.w) < 0) || pools[0];
    const c = pick(pool.chars);
    text += c;
    units += c.length;
  }
  add(`fuzz #${i}`, text);
}

// ---- reference answers ----------------------------------------------------------------------------

const lines = [];
const tally = {};
for (const { id, text } of cases) {
  if (!text.isWellFormed()) throw new Error(`${id}: lone surrogate`);
  const m = new SegmentedMessage(text);
  if (m.graphemes.length !== [...text].length) {
    throw new Error(`${id}: holds a multi-code-point grapheme cluster, which the corpus excludes`);
  }
  const encoding = m.encodingName;
  const bits = encoding === 'GSM-7' ? 7 : 16;
  if (m.messageSize % bits !== 0) throw new Error(`${id}: message size ${m.messageSize} bits`);
  const units = m.messageSize / bits;
  const segments = m.segmentsCount;
  lines.push(JSON.stringify({ id, text, encoding, units, segments }));
  const key = `${encoding} ${segments > 4 ? '5+' : segments}`;
  tally[key] = (tally[key] || 0) + 1;
}

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, lines.join('\n') + '\n');
console.log(`${lines.length} texts -> ${path.relative(process.cwd(), OUT)}`);
for (const k of Object.keys(tally).sort()) console.log(`  ${k} segment(s): ${tally[k]}`);
