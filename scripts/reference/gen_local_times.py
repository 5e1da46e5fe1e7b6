"""Writes fixtures/reference/local_times.csv: what Python's zoneinfo (PEP 615) with the `tzdata`
package (pinned in requirements.txt to the release cartnudge compiles in, 2025b) says about
instants and wall-clock times in zones cartnudge's customers live in: the local time of a UTC
instant, and the instant of a wall-clock time (fold=0: a DST gap moves forward, an overlap takes
the earlier instant), densely around every DST change of 2025-2027.

    /tmp/ref/bin/python scripts/reference/gen_local_times.py
"""
import random
from datetime import datetime, timedelta, timezone
import zoneinfo
from zoneinfo import ZoneInfo

import tzdata

# Only the pinned package, never the host's /usr/share/zoneinfo.
zoneinfo.reset_tzpath([])

ROOT = __file__.rsplit("/scripts/", 1)[0]
ZONES = ["Europe/Moscow", "Europe/Paris", "Europe/Berlin", "Europe/London", "Europe/Kaliningrad",
         "Asia/Yekaterinburg", "Asia/Vladivostok", "Asia/Almaty", "America/New_York",
         "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
         "America/Anchorage", "America/Adak", "Pacific/Honolulu", "America/Sao_Paulo",
         "America/Mexico_City", "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe",
         "Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Africa/Cairo", "Europe/Kyiv",
         "Asia/Dubai", "Asia/Tokyo", "Pacific/Auckland", "Pacific/Chatham", "UTC"]
rng = random.Random(2025)
rows = []
start = datetime(2025, 1, 1, tzinfo=timezone.utc)
for name in ZONES:
    z = ZoneInfo(name)
    # Instants: every transition found by hourly scanning, +-90 minutes around it, plus random.
    instants = [start + timedelta(seconds=rng.randrange(3 * 366 * 86400)) for _ in range(40)]
    prev = None
    t = start
    while t < datetime(2028, 1, 1, tzinfo=timezone.utc):
        off = t.astimezone(z).utcoffset()
        if prev is not None and off != prev:
            for m in range(-90, 91, 15):
                instants.append(t + timedelta(minutes=m))
        prev = off
        t += timedelta(hours=1)
    for u in sorted(set(instants)):
        u = u.replace(second=0, microsecond=0)
        local = u.astimezone(z)
        rows.append(("at", name, u.strftime("%Y-%m-%dT%H:%M:%SZ"), local.isoformat()))
        # The same wall-clock time read back (gaps and overlaps included).
        naive = local.replace(tzinfo=None) + timedelta(minutes=rng.choice([0, 30, 45, 60]))
        back = naive.replace(tzinfo=z, fold=0).astimezone(timezone.utc)
        rows.append(("utc", name, naive.strftime("%Y-%m-%d %H:%M"), back.strftime("%Y-%m-%dT%H:%M:%SZ")))
with open(f"{ROOT}/fixtures/reference/local_times.csv", "w") as f:
    f.write(f"# zoneinfo with tzdata {tzdata.IANA_VERSION}: kind,zone,input,expected\n")
    for r in rows:
        f.write(",".join(r) + "\n")
print(len(rows), "rows")
