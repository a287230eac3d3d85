#!/usr/bin/env python3
"""Runs a command and prints, as one JSON object, its wall-clock seconds and its peak
resident memory (`ru_maxrss` of the waited-for child, the figure `/usr/bin/time -v`
reports as "Maximum resident set size"), in MB. Fails when the command fails.

    bench/tools/peak_rss.py COMMAND [ARG]...
"""
import json
import resource
import subprocess
import sys
import time

start = time.monotonic()
done = subprocess.run(sys.argv[1:])
seconds = time.monotonic() - start
if done.returncode != 0:
    sys.exit(f"peak_rss.py: {sys.argv[1:]} exited with {done.returncode}")
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
print(json.dumps({"seconds": round(seconds, 3), "peak_rss_mb": round(peak_kb / 1024, 1)}))
