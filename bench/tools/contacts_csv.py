#!/usr/bin/env python3
"""Writes a contacts CSV for M3 (`purrlist import`): ROWS rows, every column import reads,
a custom field on every row, some quoted cells, 1% duplicate emails (later row wins).

    bench/tools/contacts_csv.py ROWS FILE
"""
import random
import sys

rows, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
plans = ["free", "pro", "team", "enterprise"]
cities = ["Oslo", "Lyon", "Kyoto", "Lima", "Perth", "Cork, IE"]
with open(path, "w", newline="") as f:
    f.write("email,name,first_name,last_name,subscribed,custom.plan,custom.city\n")
    for i in range(rows):
        n = rng.randrange(i) if i > 100 and rng.random() < 0.01 else i
        city = cities[n % len(cities)]
        city = f'"{city}"' if "," in city else city
        sub = "" if n % 7 else "false"
        f.write(f"cat{n}@example.com,Cat {n},Cat,Number {n},{sub},{plans[n % 4]},{city}\n")
