#!/usr/bin/env python3
"""Writes a Mailchimp "subscribed members" export for the second M3 row (`purrlist import
--format mailchimp`): ROWS rows with the columns of tests/fixtures/import/mailchimp.csv
(a byte-order mark, `Email Address`, `First Name`, `Last Name`, two audience fields whose
headers are not valid keys, `MEMBER_RATING`, `OPTIN_TIME`, …, `TAGS`), quoted cells, UTF-8
names, and 1% duplicate emails (later row wins).

    bench/tools/mailchimp_csv.py ROWS FILE
"""
import random
import sys

rows, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
HEADER = ("Email Address,First Name,Last Name,Zip/Postal Code,What content are you interested in?,"
          "MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,"
          "DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS")
firsts = ["Ada", "José", "Noto", "Émile", "Grace", "Linus"]
interests = ["Essays", '"Essays, mostly"', "News", ""]
tags = ['"""Editors"""', '"""Editors"",""VIP, gold"""', "", ""]
countries = ["GB", "FR", "JP", "PE", "AU", "IE"]
with open(path, "w", newline="", encoding="utf-8") as f:
    f.write("\ufeff" + HEADER + "\r\n")
    for i in range(rows):
        n = rng.randrange(i) if i > 100 and rng.random() < 0.01 else i
        day = 1 + n % 28
        optin = f"2019-{1 + n % 12:02d}-{day:02d} {n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}"
        cells = [
            f"cat{n}@example.com", firsts[n % len(firsts)], f"Number {n}", f"{10000 + n % 90000}",
            interests[n % len(interests)], str(1 + n % 5), optin, "203.0.113.5", optin, "", "", "",
            "", "", "", countries[n % len(countries)], "", optin, str(100000 + n), "", "",
            tags[n % len(tags)],
        ]
        f.write(",".join(cells) + "\r\n")
