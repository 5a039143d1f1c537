#!/usr/bin/python3
"""A vosk-server client, written for vosk-server and not for Earshot (Debian's python3-websockets).

usage: vosk_client.py URI MODE CHUNK_BYTES CONFIG_JSON WAV [WAV ...]

Sends CONFIG_JSON (if not empty), then each WAV's PCM in CHUNK_BYTES messages, {"reset" : 1} between files and
{"eof" : 1} at the end. MODE "stream" sends as fast as the socket allows while a reader collects replies; MODE
"lockstep" waits for the reply to each message (as vosk-server's own test.py does). Prints every reply as one line,
then {"closed": CODE, "reason": REASON}. With CLIENT_BIND set, connects from that local address (e.g. 127.0.0.2).
"""
import asyncio
import json
import os
import sys
import wave

import websockets


def chunks(path, size):
    with wave.open(path, "rb") as wav:
        data = wav.readframes(wav.getnframes())
    for i in range(0, len(data), size):
        yield data[i:i + size]


async def main():
    uri, mode, size, config = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    files = sys.argv[5:]
    bind = os.environ.get("CLIENT_BIND")
    extra = {"local_addr": (bind, 0)} if bind else {}
    async with websockets.connect(uri, max_size=None, **extra) as ws:
        if config:
            await ws.send(config)
        messages = []
        for n, path in enumerate(files):
            if n > 0:
                messages.append('{"reset" : 1}')
            messages.extend(chunks(path, size))
        messages.append('{"eof" : 1}')
        try:
            if mode == "lockstep":
                for message in messages:
                    await ws.send(message)
                    print(await ws.recv(), flush=True)
            else:
                async def read():
                    try:
                        async for reply in ws:
                            print(reply, flush=True)
                    except websockets.exceptions.ConnectionClosed:
                        pass
                reader = asyncio.ensure_future(read())
                for message in messages:
                    await ws.send(message)
                await reader
        except websockets.exceptions.ConnectionClosed:
            pass  # the server closed first: its code and reason are printed below
        try:
            await asyncio.wait_for(ws.wait_closed(), 10)
        except asyncio.TimeoutError:
            pass
        print(json.dumps({"closed": ws.close_code, "reason": ws.close_reason or ""}), flush=True)


asyncio.run(main())
