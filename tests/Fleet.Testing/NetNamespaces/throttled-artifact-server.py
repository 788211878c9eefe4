#!/usr/bin/env python3
"""A throttled artifact server for the partition tests, run as a real process in a network namespace.

Serves the files under ROOT at /files/PATH with Content-Length, an ETag, and Range requests (bytes=N-,
If-Range) answered with 206 (416 past the end), at most RATE bytes a second per response, so a download
is still in progress when the test takes the link down. One line per request in LOG when it starts
("start PATH range=RANGE") and when it ends ("end PATH range=RANGE sent=BYTES"); "listening" once bound.

Usage: throttled-artifact-server.py ADDRESS PORT ROOT RATE LOG
"""
import http.server
import os
import sys
import threading
import time

address, port, root, rate, log = sys.argv[1], int(sys.argv[2]), os.path.realpath(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
lock = threading.Lock()


def record(line):
    with lock, open(log, "a", encoding="utf-8") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # a write blocked by a dead link ends its thread eventually

    def log_message(self, *args):
        pass

    def do_GET(self):
        wanted = self.headers.get("Range", "")
        path = os.path.realpath(os.path.join(root, self.path[len("/files/"):])) if self.path.startswith("/files/") else ""
        if not path.startswith(root + "/") or not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        etag = '"%x-%x"' % (size, int(os.path.getmtime(path)))
        start = 0
        digits = wanted[len("bytes="):-1]
        if wanted.startswith("bytes=") and wanted.endswith("-") and digits.isdigit() and self.headers.get("If-Range", etag) == etag:
            start = int(digits)
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                record("start %s range=%s status=416" % (self.path, wanted))
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        record("start %s range=%s" % (self.path, wanted or "-"))
        sent = 0
        try:
            with open(path, "rb") as f:
                f.seek(start)
                while True:
                    data = f.read(max(1, rate // 20))
                    if not data:
                        break
                    self.wfile.write(data)
                    self.wfile.flush()
                    sent += len(data)
                    time.sleep(0.05)
        except OSError as e:
            record("broke %s range=%s sent=%d: %s" % (self.path, wanted or "-", sent, e))
            return
        record("end %s range=%s sent=%d" % (self.path, wanted or "-", sent))


server = http.server.ThreadingHTTPServer((address, port), Handler)
server.daemon_threads = True
record("listening")
server.serve_forever()
