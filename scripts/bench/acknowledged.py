#!/usr/bin/env python3
"""After a run with writes (bench --write-log), checks against the running
system that no acknowledged write was lost and that the public change feed
has no gap.

- Each concert a write created (201) must end as its acknowledged writes
  left it: deleted (404) after a 204 to its DELETE, else with the status of
  its last acknowledged change. A write that got no answer, or a 5xx, may
  have been made or not: after it, either state is accepted.
- The change feed, read from its start: each change moves exactly one of
  the three logs' positions (bands-venues-concerts) on by exactly one, and
  every acknowledged write of a concert is in it.

Usage: acknowledged.py GATEWAY_URL WRITE_LOG; prints a summary and exits 1
on a lost write or a gap.
"""
import json
import sys
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

url, log_path = sys.argv[1].rstrip("/"), sys.argv[2]
writes = [json.loads(line) for line in open(log_path)]


def get(path):
    try:
        with urllib.request.urlopen(url + path, timeout=30) as answer:
            return answer.status, json.load(answer), answer.headers.get("link")
    except urllib.error.HTTPError as refused:
        return refused.code, None, None


# What each concert may be now: the states its writes can have left.
possible = {}
acknowledged = defaultdict(lambda: defaultdict(int))  # id -> kind -> count
unanswered = 0
for write in writes:
    status, method = write["status"], write["method"]
    answered = status is not None and status < 500
    unanswered += not answered
    if method == "POST":
        if status == 201:
            concert = write["answer"]["id"]
            possible[concert] = {write["answer"].get("status", "scheduled")}
            acknowledged[concert]["created"] += 1
        continue
    concert = int(write["path"].rsplit("/", 1)[1])
    if concert not in possible:
        continue
    after = "gone" if method == "DELETE" else write["body"]["status"]
    if answered and 200 <= status < 300:
        possible[concert] = {after}
        acknowledged[concert]["deleted" if method == "DELETE" else "updated"] += 1
    elif not answered:
        possible[concert] = possible[concert] | {after}


def now(concert):
    status, record, _ = get(f"/concerts/{concert}")
    return concert, "gone" if status == 404 else (record or {}).get("status", f"HTTP {status}")


with ThreadPoolExecutor(8) as pool:
    states = dict(pool.map(now, possible))
lost = {concert: (states[concert], sorted(allowed)) for concert, allowed in possible.items() if states[concert] not in allowed}

# The whole feed, page by page.
changes, path = [], "/changes?limit=1000"
while True:
    status, page, link = get(path)
    if status != 200:
        sys.exit(f"acknowledged: GET {path} answered {status}")
    changes.extend(page)
    if not page:
        break
    path = f"/changes?since={page[-1]['cursor']}&limit=1000"
gaps, before = [], (0, 0, 0)
seen = defaultdict(lambda: defaultdict(int))
for change in changes:
    position = tuple(int(part) for part in change["cursor"].split("-"))
    steps = [after - was for after, was in zip(position, before)]
    if sorted(steps) != [0, 0, 1]:
        gaps.append((change["cursor"], "-".join(map(str, before))))
    before = position
    if change["entity"] == "concerts":
        seen[change["id"]][change["kind"]] += 1
missing = [
    (concert, kind)
    for concert, kinds in acknowledged.items()
    for kind, count in kinds.items()
    if seen[concert][kind] < count
]

answered = sum(1 for write in writes if write["status"] is not None and write["status"] < 500)
print(
    f"acknowledged: {len(writes)} writes sent, {answered} answered ({unanswered} without an answer or with a 5xx);"
    f" {len(possible)} concerts created and checked: {len(lost)} lost acknowledged writes"
)
print(
    f"acknowledged: the change feed holds {len(changes)} changes (positions {before[0]}-{before[1]}-{before[2]}):"
    f" {len(gaps)} gaps; {len(missing)} acknowledged writes missing from it"
)
for concert, (state, allowed) in list(lost.items())[:10]:
    print(f"  lost: concert {concert} is {state}, its acknowledged writes left it {allowed}")
for cursor, previous in gaps[:10]:
    print(f"  gap: {previous} then {cursor}")
for concert, kind in missing[:10]:
    print(f"  missing from the feed: concert {concert} {kind}")
sys.exit(1 if lost or gaps or missing else 0)
