#!/usr/bin/env python3
"""The webhook delivery lag of a bench run: for every PUT the load generator saw answered
(bench-loadgen --answers: contact, name, unix ns of the answer) and every endpoint, the
time until the receiver got that change (bench-receiver's noted deliveries: path, contact,
name, unix ns), matched on (endpoint, contact, name). Prints one JSON object: lag
percentiles in ms over the deliveries that arrived, how many were expected (answers x
endpoints) and how many never arrived before the receiver stopped waiting.

    webhook_lag.py ANSWERS DELIVERIES ENDPOINTS
"""
import json
import sys


def percentile(values, p):
    if not values:
        return None
    return values[min(len(values) - 1, round((len(values) - 1) * p))]


answers_file, deliveries_file, endpoints = sys.argv[1], sys.argv[2], int(sys.argv[3])
answered = {}
for line in open(answers_file):
    contact, name, at = line.rstrip("\n").split("\t")
    answered[(contact, name)] = int(at)
lags, paths = [], set()
for line in open(deliveries_file):
    path, contact, name, at = line.rstrip("\n").split("\t")
    sent = answered.get((contact, name))
    if sent is None or (path, contact, name) in paths:
        continue  # a write the generator did not see answered, or a resend
    paths.add((path, contact, name))
    lags.append(max(0, int(at) - sent) / 1e6)
lags.sort()
expected = len(answered) * endpoints
print(json.dumps({
    "delivered": len(lags), "expected": expected, "missing": expected - len(lags),
    "p50_ms": percentile(lags, 0.5), "p99_ms": percentile(lags, 0.99), "max_ms": lags[-1] if lags else None,
}))
