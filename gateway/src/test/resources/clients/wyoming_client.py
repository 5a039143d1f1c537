#!/usr/bin/python3
"""A Wyoming speech-to-text client written from the protocol's description, not Earshot code (stdlib only).

usage: wyoming_client.py HOST PORT LANGUAGE WAV [WAV ...]

Sends describe, then for each WAV: transcribe, audio-start, audio-chunk events of 1024 sample frames (rate, width
and channels as in the file), audio-stop, and reads events until transcript-stop (or transcript). Every event
received is printed as one JSON line {"type", "data"}. With CLIENT_BIND set, connects from that local address.
"""
import asyncio
import json
import os
import sys
import wave

VERSION = "1.7.2"


async def write_event(writer, kind, data=None, payload=None):
    header = {"type": kind, "version": VERSION}
    data_bytes = json.dumps(data).encode() if data else b""
    if data_bytes:
        header["data_length"] = len(data_bytes)
    if payload:
        header["payload_length"] = len(payload)
    writer.write(json.dumps(header).encode() + b"\n" + data_bytes + (payload or b""))
    await writer.drain()


async def read_event(reader):
    line = await reader.readline()
    if not line:
        return None
    header = json.loads(line)
    data = header.get("data") or {}
    if header.get("data_length"):
        data.update(json.loads(await reader.readexactly(header["data_length"])))
    if header.get("payload_length"):
        await reader.readexactly(header["payload_length"])
    return {"type": header["type"], "data": data}


async def main():
    host, port, language = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    bind = os.environ.get("CLIENT_BIND")
    reader, writer = await asyncio.open_connection(host, port, local_addr=(bind, 0) if bind else None)
    await write_event(writer, "describe")
    print(json.dumps(await read_event(reader)), flush=True)
    for path in sys.argv[4:]:
        with wave.open(path, "rb") as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            fmt = {"rate": rate, "width": width, "channels": channels}
            await write_event(writer, "transcribe", {"language": language})
            await write_event(writer, "audio-start", dict(fmt, timestamp=0))
            while True:
                frames = wav.readframes(1024)
                if not frames:
                    break
                await write_event(writer, "audio-chunk", fmt, frames)
            await write_event(writer, "audio-stop", {"timestamp": 0})
        while True:
            event = await read_event(reader)
            if event is None:
                print(json.dumps({"type": "eof"}), flush=True)
                return
            print(json.dumps(event), flush=True)
            if event["type"] in ("transcript-stop", "error"):
                break
    writer.close()
    await writer.wait_closed()


asyncio.run(main())
