#!/usr/bin/env python3
"""Latency of one dashboard page for a signed-in session, at a fixed low rate (D1, D2).

Signs in at /admin/login with --key (the form a person posts), keeps the session cookie,
then GETs --path over one keep-alive connection, request i due at start + i/rate; each
latency counts from its due time, so a slow answer delays the ones behind it and shows in
their latency too (no coordinated omission). --warmup seconds first, not counted. With
--catch-up it first reloads the page until it no longer says the chart's counts are still
being caught up, and reports how long that took (catch_up_s). Prints one JSON line:
p50_ms, p99_ms, requests, rate_target, achieved (and catch_up_s). Standard library only.

Usage: dashboard_latency.py --url URL --key KEY --path PATH [--rate N] [--seconds S]
                            [--warmup S] [--catch-up]
"""
import argparse
import http.client
import json
import sys
import time
import urllib.parse

STILL_COUNTING = b"still being counted"


def sign_in(host, port, key):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    body = urllib.parse.urlencode({"key": key})
    conn.request("POST", "/admin/login", body, {"content-type": "application/x-www-form-urlencoded"})
    reply = conn.getresponse()
    reply.read()
    cookie = reply.getheader("set-cookie") or ""
    if reply.status != 303 or not cookie.startswith("purrlist_session="):
        sys.exit(f"dashboard_latency: sign-in failed: {reply.status} {cookie!r}")
    conn.close()
    return cookie.split(";", 1)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--catch-up", action="store_true")
    a = ap.parse_args()
    url = urllib.parse.urlsplit(a.url)
    cookie = sign_in(url.hostname, url.port, a.key)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def get():
        conn.request("GET", a.path, headers={"cookie": cookie})
        reply = conn.getresponse()
        body = reply.read()
        if reply.status != 200:
            sys.exit(f"dashboard_latency: GET {a.path}: {reply.status}")
        return body

    out = {}
    if a.catch_up:
        start = time.monotonic()
        while STILL_COUNTING in get():
            time.sleep(0.2)
        out["catch_up_s"] = round(time.monotonic() - start, 3)

    interval = 1.0 / a.rate
    start = time.monotonic()
    warm_until = start + a.warmup
    end = warm_until + a.seconds
    latencies, i = [], 0
    while True:
        due = start + i * interval
        if due >= end:
            break
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        get()
        if due >= warm_until:
            latencies.append((time.monotonic() - due) * 1000.0)
        i += 1
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    out.update(p50_ms=round(pick(0.50), 3), p99_ms=round(pick(0.99), 3), requests=len(latencies),
               rate_target=a.rate, achieved=round(len(latencies) / a.seconds, 2))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
