"""Sends HTTP/1.1 requests exactly as written (no path normalisation) and prints each status.

Input on stdin: a JSON object {"host": ..., "port": ..., "requests": [{"method", "path", "headers": {...}}, ...]}.
Output: a JSON list of status codes, -1 where no status line came back. Used by the route-matrix test from inside a
network namespace, as a client on another address.
"""
import json
import socket
import sys


def status(host, port, request):
    lines = ["%s %s HTTP/1.1" % (request["method"], request["path"])]
    for name, value in request.get("headers", {}).items():
        lines.append("%s: %s" % (name, value))
    lines.append("Content-Length: 0")
    if "Connection" not in request.get("headers", {}):
        lines.append("Connection: close")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    try:
        with socket.create_connection((host, port), timeout=10) as connection:
            connection.sendall(data)
            received = b""
            while b"\r\n" not in received and len(received) < 4096:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                received += chunk
        first = received.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        return int(first[1]) if len(first) > 1 and first[0].startswith("HTTP/") else -1
    except OSError:
        return -1


def main():
    job = json.load(sys.stdin)
    print(json.dumps([status(job["host"], job["port"], r) for r in job["requests"]]))


main()
