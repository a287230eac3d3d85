#!/usr/bin/env python3
"""Splits a server profile by component (issue 18). Reads `perf script -F comm,tid,ip,sym,dso`
(call graphs recorded) on stdin and prints each component's share of the samples, and each
thread's.

A sample is given to the first rule that matches: first rules over the whole stack (a
checkpoint, an fsync, the WAL write of a commit), then, from the leaf towards the root, the
first frame that belongs to a component; frames of the allocator, libc, core/alloc/std and
the kernel are passed over on the way. A sample of only such frames is the allocator's when
its leaf is, else "kernel, other" or "other"."""
import collections
import sys

WHOLE_STACK = [  # (component, any of these in a frame's symbol)
    ("checkpoints", ("sqlite3WalCheckpoint", "walCheckpoint", "sqlite3Checkpoint")),
    ("fsync (CPU)", ("unixSync", "fdatasync", "fsync")),
    ("commit: WAL write", ("sqlite3WalFrames", "walWriteToLog", "walWriteOneFrame")),
]
FRAME_RULES = [  # (component, symbol substrings), tried in order on each frame
    ("SQL statements (SQLite)", ("sqlite3", "rusqlite::")),
    ("JSON", ("serde_json", "serde::")),
    ("logging", ("tracing", "tracing_subscriber")),
    ("domain", ("purrlist::domain",)),
    ("store (Rust side)", ("purrlist::store",)),
    ("HTTP: purrlist's handlers and middleware", ("purrlist::http", "purrlist::app")),
    ("HTTP: hyper, axum, tower, tokio", ("hyper", "axum", "tower", "tokio", "mio::", "h2::", "http::", "bytes::", "httparse")),
]


def component(stack):
    syms = [s for s, _ in stack]
    for name, needles in WHOLE_STACK:
        if any(n in s for s in syms for n in needles):
            return name
    for sym, dso in stack:
        for name, needles in FRAME_RULES:
            if any(n in sym for n in needles):
                return name
    leaf_sym, leaf_dso = stack[0] if stack else ("", "")
    if any(n in leaf_sym for n in ("mi_", "_mi_", "mimalloc")):
        return "allocator"
    if "kernel" in leaf_dso:
        if any(("sock" in s or "tcp" in s or "epoll" in s) for s in syms):
            return "HTTP: kernel sockets"
        return "kernel, other"
    return "other"


def samples(lines):
    head, stack = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if head is not None:
                yield head, stack
            head, stack = None, []
        elif head is None:
            head = line.split()[0]
        else:
            parts = line.strip().split(None, 1)
            rest = parts[1] if len(parts) > 1 else ""
            sym, _, dso = rest.rpartition(" (")
            stack.append((sym or rest, dso.rstrip(")")))
    if head is not None:
        yield head, stack


def main():
    by_component, by_thread = collections.Counter(), collections.Counter()
    total = 0
    for comm, stack in samples(sys.stdin):
        thread = "tokio runtime" if comm.startswith("tokio-runtime") else comm
        by_thread[thread] += 1
        by_component[component(stack)] += 1
        total += 1
    if not total:
        print("no samples")
        return
    print(f"{total} samples")
    print("| component | share |\n|---|---|")
    for name, n in by_component.most_common():
        print(f"| {name} | {100 * n / total:.1f}% |")
    print("\n| thread | share |\n|---|---|")
    for name, n in by_thread.most_common():
        print(f"| {name} | {100 * n / total:.1f}% |")


if __name__ == "__main__":
    main()
