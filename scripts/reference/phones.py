#!/usr/bin/env python3
"""Reference corpus for cartnudge's phone normalization, written by libphonenumber itself.

    python3 -m venv /tmp/phones-venv
    /tmp/phones-venv/bin/pip install -r scripts/reference/requirements.txt
    /tmp/phones-venv/bin/python scripts/reference/phones.py > fixtures/reference/phones.csv

The output is deterministic (seeded; written with CPython 3.11). `phonenumbers` is Google's
libphonenumber in Python; its version is pinned in requirements.txt to the same metadata release
as the Rust crate in Cargo.toml (rlibphonenumber 2.2.15 ships metadata v9.0.42). Upgrading one
means upgrading the other and regenerating this file; `cargo test --lib phone` then shows every
row on which the two disagree.

Columns
-------
raw            the text as it would sit in a shop's phone column
region         the region it is read in: the cart's country, else the store's default region
e164           libphonenumber's reading, `format_number(parse(raw, region), E164)`; empty when
               `parse` raises. Present for invalid numbers too (that is what the digits say).
type           `number_type(...)` (FIXED_LINE, MOBILE, FIXED_LINE_OR_MOBILE, TOLL_FREE, ...);
               UNKNOWN for invalid numbers; empty when `parse` raises
valid          1 if `is_valid_number(...)`
number_region  `region_code_for_number(...)` ("001" for +800-style numbers, empty for none)
sendable       cartnudge's verdict, see below
reason         why not: empty | letters | unparseable | invalid | type:<TYPE>; `ok` when sendable
form           how the raw text was written (for counting disagreements by kind)

cartnudge's verdict (the reference semantics)
---------------------------------------------
A number is sendable exactly when all of these hold:

1. the text is not blank;
2. it has no letters, except in a trailing extension written the way libphonenumber recognises
   one (`ext. 12`, `доб. 5`, `;ext=12`, `x123`, `#12`, `,,12`, ...: libphonenumber's own
   extension grammar, `_EXTN_PATTERN`, applied after dropping trailing punctuation as
   libphonenumber does). libphonenumber itself reads letters as phone-keypad digits when there
   are three or more (`1-800-FLOWERS`) and silently drops one or two (`+7 912 34a 67 89` becomes
   a different, shorter number). cartnudge refuses both: a shop's phone column with letters in it
   is a typo or a label, and texting a keypad translation is never what the shopper meant. So
   vanity numbers are refused too (most are toll-free and refused for that anyway). Labels
   before the number (`tel. +7 ...`) count as letters;
3. libphonenumber parses it (`parse(raw, region)`, extension and all; `+` and the region's own
   international prefix carry the number's own country code, everything else is national to
   `region`);
4. `is_valid_number` holds;
5. its type is not one that cannot receive a reminder: FIXED_LINE, TOLL_FREE, PREMIUM_RATE,
   SHARED_COST, UAN, VOICEMAIL are refused; MOBILE, FIXED_LINE_OR_MOBILE (US/CA and others whose
   plans do not tell the two apart), VOIP, PERSONAL_NUMBER and PAGER are accepted.

The E.164 a sendable number is sent to is libphonenumber's, the extension dropped.
"""

import csv
import random
import sys

import phonenumbers as pn
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType as T
from phonenumbers.phonenumberutil import _EXTN_PATTERN, _UNWANTED_END_CHAR_PATTERN

SEED = 20250611

REFUSED_TYPES = {
    T.FIXED_LINE,
    T.TOLL_FREE,
    T.PREMIUM_RATE,
    T.SHARED_COST,
    T.UAN,
    T.VOICEMAIL,
}

TYPE_NAMES = {
    T.FIXED_LINE: "FIXED_LINE",
    T.MOBILE: "MOBILE",
    T.FIXED_LINE_OR_MOBILE: "FIXED_LINE_OR_MOBILE",
    T.TOLL_FREE: "TOLL_FREE",
    T.PREMIUM_RATE: "PREMIUM_RATE",
    T.SHARED_COST: "SHARED_COST",
    T.VOIP: "VOIP",
    T.PERSONAL_NUMBER: "PERSONAL_NUMBER",
    T.PAGER: "PAGER",
    T.UAN: "UAN",
    T.VOICEMAIL: "VOICEMAIL",
    T.UNKNOWN: "UNKNOWN",
}


def letters_outside_extension(raw):
    """Rule 2: any letter left once a trailing extension is cut off."""
    s = raw.strip()
    m = _UNWANTED_END_CHAR_PATTERN.search(s)
    if m:
        s = s[: m.start()]
    m = _EXTN_PATTERN.search(s)
    if m:
        s = s[: m.start()]
    return any(ch.isalpha() for ch in s)


def reference(raw, region):
    """One corpus row (without raw/region/form) for `raw` read in `region`."""
    row = {"e164": "", "type": "", "valid": 0, "number_region": ""}
    try:
        n = pn.parse(raw, region)
    except pn.NumberParseException:
        n = None
    if n is not None:
        row["e164"] = pn.format_number(n, F.E164)
        kind = pn.number_type(n)
        row["type"] = TYPE_NAMES[kind]
        row["valid"] = int(pn.is_valid_number(n))
        row["number_region"] = pn.region_code_for_number(n) or ""
    if not raw.strip():
        reason = "empty"
    elif letters_outside_extension(raw):
        reason = "letters"
    elif n is None:
        reason = "unparseable"
    elif not row["valid"]:
        reason = "invalid"
    elif kind in REFUSED_TYPES:
        reason = "type:" + row["type"]
    else:
        reason = "ok"
    row["sendable"] = int(reason == "ok")
    row["reason"] = reason
    return row


# ---------------------------------------------------------------------------------------------
# Countries. The eleven get the most rows; the others are a seeded sample of every
# region libphonenumber knows, always including the ones the issue saw rejected.

FOCUS = ["RU", "KZ", "US", "CA", "DE", "FR", "GB", "UA", "BR", "IN", "AE"]
MUST = ["CN", "KR", "EG", "MY", "BD", "ID", "IE", "NG", "SG", "TH", "IT", "AR", "MX", "AU", "JP"]
# Regions a store is typically configured with: the default region for +CC and 00CC forms.
STORE_REGIONS = ["US", "RU", "DE", "GB", "FR", "BR", "IN", "KZ", "AE", "CN", "JP", "AU", "UA", "CA"]

TYPES = [
    (T.MOBILE, 6),
    (T.FIXED_LINE, 2),
    (T.FIXED_LINE_OR_MOBILE, 2),
    (T.TOLL_FREE, 1),
    (T.PREMIUM_RATE, 1),
    (T.SHARED_COST, 1),
    (T.VOIP, 1),
    (T.PERSONAL_NUMBER, 1),
    (T.PAGER, 1),
    (T.UAN, 1),
    (T.VOICEMAIL, 1),
]

FULLWIDTH = str.maketrans("0123456789+", "０１２３４５６７８９＋")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")

EXTENSIONS = [
    " доб. 5",
    " доб 123",
    " ДОБ.12",
    " ext. 12",
    " ext 4567",
    " Ext: 3",
    " extension 45",
    ";ext=12",
    " x123",
    " X 9",
    "x7",
    " #12",
    ",,123",
    ", 44",
    " ~55",
    " int 8",
]
# Not extensions to libphonenumber: letters that stay in the number.
FAKE_EXTENSIONS = [" вн. 5", " доп. 12", " tel 3", " ext", " доб."]
LABELS = ["tel. ", "Tel: ", "моб. ", "mobile ", "т. "]
LETTERS = "abcdefghxyzABCXOoОоЗлд"


def nsn(n):
    return pn.national_significant_number(n)


def with_digits(n, digits):
    """`n` with its national significant number replaced (keeps Italian leading zeros)."""
    try:
        return pn.parse("+%d%s" % (n.country_code, digits), None)
    except pn.NumberParseException:
        return None


def groups_of(n):
    """The national significant number's digit groups as libphonenumber formats them."""
    text = pn.format_number(n, F.INTERNATIONAL)
    body = text.split(" ", 1)[1] if " " in text else text[1:]
    out, cur = [], ""
    for ch in body:
        if ch.isdigit():
            cur += ch
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    if "".join(out) != nsn(n):
        return [nsn(n)]
    return out


def national_prefix(region):
    md = pn.PhoneMetadata.metadata_for_region(region)
    return (md.national_prefix or "") if md else ""


def idd(region):
    """The region's international prefix as people write it ("011", "810", "00")."""
    md = pn.PhoneMetadata.metadata_for_region(region)
    if md is None:
        return None
    if md.preferred_international_prefix:
        return md.preferred_international_prefix.replace("~", "")
    p = md.international_prefix or ""
    return p if p.isdigit() else None


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.rows = []
        self.seen = set()

    def add(self, raw, region, form):
        key = (raw, region)
        if key in self.seen:
            return
        self.seen.add(key)
        row = {"raw": raw, "region": region}
        row.update(reference(raw, region))
        row["form"] = form
        self.rows.append(row)

    def other_region(self, own):
        return self.rng.choice([r for r in STORE_REGIONS if r != own])

    # --- base numbers ------------------------------------------------------------------------

    def variants(self, n, count):
        """Numbers near `n`: same length, random digits after a kept prefix; mostly valid."""
        r = self.rng
        base = nsn(n)
        want = pn.number_type(n)
        out = []
        for _ in range(count):
            got = None
            for attempt in range(30):
                keep = 1 if attempt < 20 else max(1, len(base) - 4)
                keep = min(keep, len(base))
                digits = base[:keep] + "".join(r.choice("0123456789") for _ in base[keep:])
                m = with_digits(n, digits)
                if m is not None and pn.is_valid_number(m) and pn.number_type(m) == want:
                    got = m
                    break
            out.append(got or n)
        return out

    def bases(self, region, per_type_scale):
        out = []
        for kind, weight in TYPES:
            ex = pn.example_number_for_type(region, kind)
            if ex is None or pn.number_type(ex) != kind:
                continue
            out.append((kind, ex))
            for v in self.variants(ex, weight * per_type_scale):
                out.append((kind, v))
        return out

    # --- ways of writing a number ------------------------------------------------------------

    def forms(self, n, own):
        """(form, raw, region) candidates for number `n` of region `own`."""
        r = self.rng
        cc = str(n.country_code)
        g = groups_of(n)
        digits = nsn(n)
        np = national_prefix(own)
        intl = pn.format_number(n, F.INTERNATIONAL)
        natl = pn.format_number(n, F.NATIONAL)
        other = self.other_region(own)
        out = [
            ("e164", "+" + cc + digits, other),
            ("intl", intl, other),
            ("intl_dashes", "+" + cc + "-" + "-".join(g), other),
            ("intl_dots", "+" + cc + "." + ".".join(g), other),
            ("intl_paren_cc", "(+" + cc + ") " + " ".join(g), other),
            ("intl_compact_paren", "+" + cc + "(" + g[0] + ")" + "".join(g[1:]), other),
            ("intl_own_region", intl, own),
            ("00cc", "00" + cc + " " + " ".join(g), other),
            ("00cc_own", "00" + cc + digits, own),
            ("national", natl, own),
            ("national_digits", (np if natl.lstrip("(").startswith(np) else "") + digits, own),
            ("bare", digits, own),
            ("national_wrong_region", natl, other),
            ("cc_no_plus", cc + digits, own),
            ("cc_no_plus_other", cc + " " + " ".join(g), other),
            ("spaces", "  " + intl + " ", other),
            ("nbsp_tab", intl.replace(" ", "\u00a0") + "\t", other),
            ("fullwidth", intl.translate(FULLWIDTH), other),
            ("fullwidth_national", natl.translate(FULLWIDTH), own),
            ("arabic_indic", ("+" + cc + digits).translate(ARABIC_INDIC), other),
            ("arabic_indic_national", natl.translate(ARABIC_INDIC), own),
            ("persian", intl.translate(PERSIAN), other),
            ("ext", intl + r.choice(EXTENSIONS), other),
            ("ext_national", natl + r.choice(EXTENSIONS), own),
            ("fake_ext", intl + r.choice(FAKE_EXTENSIONS), other),
            ("label", r.choice(LABELS) + intl, other),
            ("letter_mid", self.letter_inside(intl), other),
            ("letters3_mid", self.letters_inside(natl, 3), own),
            ("letter_end", intl + r.choice(LETTERS), other),
            ("too_short", "+" + cc + digits[: max(1, len(digits) - r.randint(1, 3))], other),
            ("too_long", "+" + cc + digits + "".join(r.choice("0123456789") for _ in range(r.randint(1, 3))), other),
            ("short_national", natl[: max(1, len(natl) - r.randint(1, 3))], own),
            ("two_numbers", intl + r.choice([", ", " / ", "; "]) + natl, own),
            ("double_plus", "++" + cc + digits, other),
        ]
        if np:
            out += [
                ("plus_paren_trunk", "+" + cc + " (" + np + ")" + " ".join(g), other),
                ("plus_trunk", "+" + cc + " " + np + " " + " ".join(g), other),
                ("plus_trunk_compact", "+" + cc + np + digits, other),
                ("00cc_paren_trunk", "00" + cc + " (" + np + ") " + " ".join(g), own),
            ]
        p = idd(own)
        if p and p != "00":
            out.append(("own_idd", p + " " + cc + " " + " ".join(g), own))
        if own == "IN":
            out.append(("devanagari", natl.translate(DEVANAGARI), own))
        if own in ("RU", "KZ"):
            out.append(("ru_8", "8" + digits, own))
            out.append(("ru_8_dashes", "8-" + "-".join(g), own))
            out.append(("ru_7_no_plus", "7" + digits, own))
            out.append(("ru_8_other_region", "8" + digits, other))
        if own in ("US", "CA"):
            out.append(("nanp_1", "1 (" + digits[:3] + ") " + digits[3:6] + "-" + digits[6:], own))
            out.append(("nanp_dots", digits[:3] + "." + digits[3:6] + "." + digits[6:], own))
            out.append(("nanp_hash_ext", natl + " - 503#", own))
        return out

    def letter_inside(self, text):
        r = self.rng
        pos = [i for i, ch in enumerate(text) if ch.isdigit()][2:-2]
        if not pos:
            return text + "a"
        i = r.choice(pos)
        return text[:i] + r.choice(LETTERS) + text[i + 1:]

    def letters_inside(self, text, k):
        r = self.rng
        pos = [i for i, ch in enumerate(text) if ch.isdigit()][2:-1]
        if not pos:
            return text + "abc"
        i = r.choice(pos)
        return text[:i] + "".join(r.choice("abcdefghxyz") for _ in range(k)) + text[i:]

    def country(self, region, per_type_scale, forms_per_number):
        for kind, n in self.bases(region, per_type_scale):
            candidates = self.forms(n, region)
            k = forms_per_number if kind in (T.MOBILE, T.FIXED_LINE_OR_MOBILE) else max(2, forms_per_number // 2)
            picked = self.rng.sample(candidates, min(k, len(candidates)))
            # Every base number is also tried as the shop most often has it: +CC from another
            # region, and in the country's own local habits (8-prefixed RU/KZ, 1-prefixed NANP).
            local = [c for c in candidates if c[0].startswith(("ru_", "nanp_"))] if kind == T.MOBILE else []
            for form, raw, reg in [candidates[0]] + local + picked:
                self.add(raw, reg, form)
        bad = pn.invalid_example_number(region)
        if bad is not None:
            self.add(pn.format_number(bad, F.E164), self.other_region(region), "invalid_example")
            self.add(pn.format_number(bad, F.NATIONAL), region, "invalid_example")

    def non_geographic(self):
        for cc in sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
            ex = pn.example_number_for_non_geo_entity(cc)
            if ex is None:
                continue
            for n in [ex] + self.variants(ex, 2):
                intl = pn.format_number(n, F.INTERNATIONAL)
                self.add(intl, self.rng.choice(STORE_REGIONS), "non_geo")
                self.add("00" + pn.format_number(n, F.E164)[1:], "DE", "non_geo_00")

    def specials(self):
        """The issue's examples and hand-picked edge cases."""
        for raw, region in [
            ("+4915123460216", "US"),
            ("+91-1800-313-430-2", "US"),
            ("0018602371636 доб. 5", "RU"),
            ("+1 860 237 1636 доб. 5", "RU"),
            ("+44 (0)7911 123456", "US"),
            ("+44 (0)7911 123456", "GB"),
            ("+49 (0)151 23460216", "RU"),
            ("+7 8 912 345 67 89", "US"),
            ("+7 (8) 912 345-67-89", "RU"),
            ("７７０１２３４５６７８", "KZ"),
            ("7012345678", "KZ"),
            ("87012345678", "KZ"),
            ("+7 701 234 5678", "RU"),
            ("77783abc151961", "KZ"),
            ("77783abc151961", "RU"),
            ("1-800-FLOWERS", "US"),
            ("+1 415 CALL NOW", "US"),
            ("+7 912 345 67 89 a x5", "RU"),
            ("+7 912 34a 67 89", "RU"),
            ("+7 912 345 67 8О", "RU"),
            ("tel:+7-912-345-67-89", "RU"),
            ("tel:+7-912-345-67-89;ext=12", "RU"),
            ("+7-912-345-67-89;phone-context=+7", "RU"),
            ("415-555-2671#", "US"),
            ("(415) 555-2671 x302/x2303", "US"),
            ("0033 6 12 34 56 78", "RU"),
            ("0033 6 12 34 56 78", "FR"),
            ("810 33 6 12 34 56 78", "RU"),
            ("011 33 6 12 34 56 78", "US"),
            ("8 10 33 6 12 34 56 78", "RU"),
            ("+33 6 12 34 56 78", "ZZ"),
            ("06 12 34 56 78", "ZZ"),
            ("", "RU"),
            ("   ", "US"),
            ("-", "RU"),
            ("+", "RU"),
            ("+0", "RU"),
            ("0", "RU"),
            ("00", "DE"),
            ("n/a", "US"),
            ("нет", "RU"),
            ("00000000000", "RU"),
            ("+999 123 456 789", "US"),
            ("+1 (555) 555-5555", "US"),
            ("12345", "RU"),
            ("+79123456789+79123456789", "RU"),
            ("8 (912) 345-67-89", "RU"),
            ("9123456789", "RU"),
            ("79123456789", "RU"),
            ("+7 912 345 67 89", "US"),
            ("(415) 555-2671", "US"),
            ("06 12 34 56 78", "FR"),
            ("+1 416 555 0199", "US"),
            ("+33 1 42 68 53 00", "FR"),
            ("+13055550123", "US"),
            ("+380 50 123 4567", "RU"),
            ("0501234567", "UA"),
            ("+971 50 123 4567", "IN"),
            ("٠٥٠١٢٣٤٥٦٧", "AE"),
            ("+٩٧١٥٠١٢٣٤٥٦٧", "US"),
            ("＋７ ９１２ ３４５ ６７ ８９", "US"),
            ("８ ９１２ ３４５ ６７ ８９", "RU"),
            ("+55 (11) 96123-4567", "US"),
            ("(11) 96123-4567", "BR"),
            ("011 96123-4567", "BR"),
            ("0 XX 11 96123-4567", "BR"),
            ("+91 98765 43210", "RU"),
            ("098765 43210", "IN"),
            ("+86 131 2345 6789", "RU"),
            ("+82 10-1234-5678", "US"),
            ("+20 100 123 4567", "US"),
            ("+60 12-345 6789", "US"),
            ("+880 1812-345678", "US"),
            ("+62 812-345-678", "RU"),
            ("+353 85 012 3456", "RU"),
            ("+234 802 123 4567", "RU"),
            ("+65 8123 4567", "RU"),
            ("+66 81 234 5678", "RU"),
        ]:
            self.add(raw, region, "special")


def main():
    g = Gen(SEED)
    rng = random.Random(SEED + 1)
    rest = sorted(set(pn.SUPPORTED_REGIONS) - set(FOCUS) - set(MUST))
    others = MUST + sorted(rng.sample(rest, 40))
    for region in FOCUS:
        g.country(region, 4, 7)
    for region in others:
        g.country(region, 1, 3)
    g.non_geographic()
    g.specials()

    out = csv.DictWriter(
        sys.stdout,
        fieldnames=["raw", "region", "e164", "type", "valid", "number_region", "sendable", "reason", "form"],
        lineterminator="\n",
    )
    out.writeheader()
    for row in g.rows:
        out.writerow(row)
    print(
        "%d rows, %d regions parsed in, %d number regions, %d sendable, phonenumbers %s"
        % (
            len(g.rows),
            len({r["region"] for r in g.rows}),
            len({r["number_region"] for r in g.rows}),
            sum(r["sendable"] for r in g.rows),
            pn.__version__,
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
