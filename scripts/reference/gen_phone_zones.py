"""Writes data/phone_zones.tsv: libphonenumber's phone-prefix -> time-zone map (the data behind
`phonenumbers.timezone.time_zones_for_number`), and fixtures/reference/phone_zones.csv, a sample
of numbers with the zones libphonenumber gives them, for cartnudge's differential test.

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install -r scripts/reference/requirements.txt
    /tmp/ref/bin/python scripts/reference/gen_phone_zones.py

libphonenumber uses the prefix of geographic numbers (fixed lines, US/CA numbers, and mobiles in
the countries listed as GEO_MOBILE below); any other number gets its country's entry.
"""
import random

import phonenumbers
from phonenumbers import PhoneNumberType as T
from phonenumbers import phonenumberutil, timezone, tzdata

ROOT = __file__.rsplit("/scripts/", 1)[0]

with open(f"{ROOT}/data/phone_zones.tsv", "w") as f:
    f.write(f"# phonenumbers {phonenumbers.__version__}: prefix (country code + digits) -> IANA zones\n")
    f.write("# GEO_MOBILE\t" + ",".join(str(c) for c in sorted(phonenumberutil._GEO_MOBILE_COUNTRIES)) + "\n")
    for prefix in sorted(tzdata.TIMEZONE_DATA, key=lambda p: (len(p), p)):
        f.write(f"{prefix}\t{','.join(tzdata.TIMEZONE_DATA[prefix])}\n")

rng = random.Random(20261123)
REGIONS = ["US", "CA", "RU", "KZ", "DE", "FR", "GB", "BR", "MX", "AR", "ID", "CN", "AU", "IN",
           "UA", "ES", "IT", "NL", "TR", "PL", "JP", "KR", "AE", "SA", "ZA", "NG", "EG", "CL",
           "CO", "PE", "AT", "CH", "BE", "SE", "NO", "FI", "PT", "GR", "IL", "TH", "VN", "PH",
           "MY", "SG", "NZ"]
rows = []
for region in REGIONS:
    for kind in (T.MOBILE, T.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        national = str(example.national_number)
        for _ in range(14):
            # Keep the leading digits (area and network codes), vary the rest.
            keep = max(1, len(national) - 4)
            digits = national[:keep] + "".join(rng.choice("0123456789") for _ in range(len(national) - keep))
            num = phonenumbers.parse(f"+{example.country_code}{digits}")
            if not phonenumbers.is_valid_number(num):
                continue
            e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
            rows.append((e164, "|".join(timezone.time_zones_for_number(num))))
# North American area codes: one valid number per prefix in the map.
for prefix in tzdata.TIMEZONE_DATA:
    if prefix.startswith("1") and len(prefix) == 4:
        num = phonenumbers.parse(f"+{prefix}2345678")
        if phonenumbers.is_valid_number(num):
            rows.append((f"+{prefix}2345678", "|".join(timezone.time_zones_for_number(num))))
with open(f"{ROOT}/fixtures/reference/phone_zones.csv", "w") as f:
    f.write(f"# phonenumbers {phonenumbers.__version__}: e164,zones (| separated) from time_zones_for_number\n")
    for e164, zones in sorted(set(rows)):
        f.write(f"{e164},{zones}\n")
print(len(set(rows)), "sample numbers")
