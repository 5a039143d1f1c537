#!/usr/bin/env python3
"""An exec sink program: reads transcript events (one JSON object a line) on stdin, appends each to the file named
by the environment variable EVENTS_FILE, then answers 'ack <id>' on stdout. Events whose text contains the word in
REJECT_WORD are answered 'reject <id> <reason>' instead. With NEVER_ACK=1 it reads and records but never answers."""
import json
import os
import sys

out_path = os.environ.get("EVENTS_FILE")
reject_word = os.environ.get("REJECT_WORD")
never_ack = os.environ.get("NEVER_ACK") == "1"
print("ack_sink started", file=sys.stderr, flush=True)
out = open(out_path, "a", encoding="utf-8") if out_path else None
for line in sys.stdin:
    event = json.loads(line)
    if out:
        out.write(json.dumps(event) + "\n")
        out.flush()
    if never_ack:
        continue
    if reject_word and reject_word in event.get("text", ""):
        print("reject %s the text contains %s" % (event["id"], reject_word), flush=True)
    else:
        print("ack " + event["id"], flush=True)
