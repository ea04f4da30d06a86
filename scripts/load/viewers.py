#!/usr/bin/python3
"""Cheap RTSP viewers for the load test: many RTP-over-TCP (interleaved) sessions in one process, one thread.

Each stream: DESCRIBE, SETUP (RTP/AVP/TCP interleaved=0-1) of the first video track, PLAY, then parse '$'
frames and count RTP packets, sequence gaps (lost packets), marker bits (frames) and bytes.

Driven over stdin/stdout by run.py:
  prints  PLAYING <n> <failed>   once every handshake is done
  reads   start                  opens the measurement window (counters snapshot)
  reads   stop                   closes it, prints one JSON line with per-stream results, exits

Latency (--pair): streams are given as  relayed_url=direct_url  pairs. The direct stream reads the camera
itself; each relayed RTP payload is matched to the direct one with the same payload bytes (the relay must
not change payloads) and the arrival time difference is the relay's added latency. Arrival is the kernel's
receive timestamp of the read (SO_TIMESTAMPNS: when the data reached the socket), so this process's own
delays (Python, its GC, a busy batch) are not charged to the relay; the same samples timed at read are kept
beside them (read_latency_ms). Parameter sets and
filler NAL units repeat identically, so they are not matched; a payload seen twice within 5 s is ambiguous
and skipped.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import selectors
import socket
import struct
import sys
import time
from urllib.parse import urlsplit

KEEPALIVE_SECONDS = 20
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python names it only on some builds
TIMESPEC = struct.Struct("@qq")
MAX_BUFFER = 4 * 1024 * 1024


def rtsp_request(sock, method, url, cseq, headers=()):
    lines = [f"{method} {url} RTSP/1.0", f"CSeq: {cseq}", "User-Agent: sg-load-viewer"]
    lines += list(headers)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())


def read_response(sock, buf):
    """Blocking read of one RTSP response (skipping interleaved frames before it). Returns (status, headers, body, rest)."""
    while True:
        while buf[:1] == b"$":
            if len(buf) < 4:
                break
            size = int.from_bytes(buf[2:4], "big")
            if len(buf) < 4 + size:
                break
            buf = buf[4 + size:]
        end = buf.find(b"\r\n\r\n")
        if buf[:1] != b"$" and end >= 0:
            head = buf[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(buf) >= end + 4 + length:
                body = buf[end + 4:end + 4 + length]
                status = int(head[0].split()[1])
                return status, headers, body, buf[end + 4 + length:]
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed during handshake")
        buf += chunk


def video_control(sdp, base):
    control = None
    in_video = False
    for line in sdp.decode("latin-1").splitlines():
        if line.startswith("m="):
            if in_video and control:
                break
            in_video = line.startswith("m=video")
            control = None
        elif in_video and line.startswith("a=control:"):
            control = line[len("a=control:"):].strip()
    if control is None or control == "*":
        return base
    if control.startswith("rtsp://"):
        return control
    return base.rstrip("/") + "/" + control


class Stream:
    def __init__(self, url, bind, role, pair_key):
        self.url = url
        self.bind = bind
        self.role = role          # "viewer" or "direct"
        self.pair_key = pair_key  # camera url, shared by a direct stream and its relayed partner
        self.sock = None
        self.buf = b""
        self.session = None
        self.cseq = 0
        self.last_keepalive = 0.0
        self.error = None
        self.closed = False
        self.packets = 0
        self.bytes = 0
        self.frames = 0
        self.lost = 0
        self.reordered = 0
        self.last_seq = None
        self.rtcp = 0
        self.window = None        # counters at start
        self.first_at = None
        self.last_at = None

    def counters(self):
        return {"packets": self.packets, "bytes": self.bytes, "frames": self.frames, "lost": self.lost,
                "reordered": self.reordered, "rtcp": self.rtcp}

    def handshake(self, timeout):
        parts = urlsplit(self.url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        if self.bind:
            sock.bind((self.bind, 0))
        sock.connect((parts.hostname, parts.port or 554))
        self.sock = sock
        buf = b""
        self.cseq += 1
        rtsp_request(sock, "DESCRIBE", self.url, self.cseq, ["Accept: application/sdp"])
        status, headers, body, buf = read_response(sock, buf)
        if status != 200:
            raise ConnectionError(f"DESCRIBE {status}")
        base = headers.get("content-base") or self.url
        track = video_control(body, base)
        self.cseq += 1
        rtsp_request(sock, "SETUP", track, self.cseq, ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1"])
        status, headers, _, buf = read_response(sock, buf)
        if status != 200:
            raise ConnectionError(f"SETUP {status}")
        self.session = headers.get("session", "").split(";")[0]
        self.cseq += 1
        rtsp_request(sock, "PLAY", self.url, self.cseq, [f"Session: {self.session}"])
        status, _, _, buf = read_response(sock, buf)
        if status != 200:
            raise ConnectionError(f"PLAY {status}")
        self.buf = buf
        sock.setblocking(False)
        if self.pair_key is not None:
            # Latency pairs: the kernel stamps each read with the arrival time of its data, so the figure
            # does not include this process's own delay in getting to the socket.
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.last_keepalive = time.monotonic()

    def keepalive(self, now):
        if now - self.last_keepalive >= KEEPALIVE_SECONDS:
            self.last_keepalive = now
            self.cseq += 1
            msg = (f"GET_PARAMETER {self.url} RTSP/1.0\r\nCSeq: {self.cseq}\r\nSession: {self.session}\r\n\r\n").encode()
            try:
                self.sock.send(msg)
            except OSError:
                pass


class Reader:
    def __init__(self, args):
        self.args = args
        self.streams = []
        self.selector = selectors.DefaultSelector()
        self.direct_seen = {}   # pair_key -> {digest: (arrival, arrival or None when ambiguous, seq, ts, kernel arrival)}
        self.relayed_pending = {}  # pair_key -> {digest: (arrival, seq, ts, kernel arrival)} of relayed payloads read before the camera's
        self.latencies = {}     # pair_key -> [ms], kernel arrival times (SO_TIMESTAMPNS)
        self.read_latencies = {}  # pair_key -> [ms], the same samples timed when this process read them
        self.keyframe_latencies = {}  # pair_key -> [ms] of keyframe (IDR) packets only, also in latencies
        self.measuring = False
        self.offsets = {}
        self.ambiguous = 0

    def on_packet(self, stream, data, now, kernel):
        if len(data) < 12:
            return
        seq = (data[2] << 8) | data[3]
        ts = int.from_bytes(data[4:8], "big")
        stream.packets += 1
        stream.bytes += len(data)
        if data[1] & 0x80:
            stream.frames += 1
        if stream.last_seq is not None:
            delta = (seq - stream.last_seq) & 0xFFFF
            if delta == 0 or delta >= 0x8000:
                stream.reordered += 1
                return
            stream.lost += delta - 1
        stream.last_seq = seq
        if stream.pair_key is None or not self.measuring:
            return
        cc = data[0] & 0x0F
        offset = 12 + 4 * cc
        if data[0] & 0x10 and len(data) >= offset + 4:
            offset += 4 + 4 * int.from_bytes(data[offset + 2:offset + 4], "big")
        payload = data[offset:]
        if not payload:
            return
        nal = payload[0] & 0x1F
        if nal in (6, 7, 8, 9, 12, 24):
            return  # SEI, parameter sets, delimiters, filler, STAP-A: repeat or get re-aggregated
        if nal == 28 and len(payload) > 1 and (payload[1] & 0x1F) == 12:
            return
        idr = nal == 5 or (nal == 28 and len(payload) > 1 and (payload[1] & 0x1F) == 5)
        digest = hashlib.blake2b(payload, digest_size=8).digest()
        seen = self.direct_seen.setdefault(stream.pair_key, {})
        pending = self.relayed_pending.setdefault(stream.pair_key, {})
        if stream.role == "direct":
            previous = seen.get(digest)
            # The same payload twice within 5 s cannot be matched: remember it as ambiguous (sent time None).
            ambiguous = previous is not None and now - previous[0] < 5
            seen[digest] = (now, None if ambiguous else now, seq, ts, kernel)
            early = pending.pop(digest, None)
            if early is not None and not ambiguous:
                # The relayed copy was read first (the camera's sends to its sessions are not ordered).
                self.record(stream.pair_key, early[0] - now, early[3], kernel, idr)
                self.offset(stream.pair_key, early[1], early[2], seq, ts)
            if len(seen) > 20000:
                for key in [k for k, v in seen.items() if now - v[0] > 10]:
                    del seen[key]
        else:
            entry = seen.get(digest)
            if entry is None or now - entry[0] > 5:
                pending[digest] = (now, seq, ts, kernel)
                if len(pending) > 20000:
                    for key in [k for k, v in pending.items() if now - v[0] > 10]:
                        del pending[key]
                return
            if entry[1] is None:
                self.ambiguous += 1
                return
            self.record(stream.pair_key, now - entry[1], kernel, entry[4], idr)
            self.offset(stream.pair_key, seq, ts, entry[2], entry[3])

    def record(self, key, read_delta, relayed_kernel, direct_kernel, idr):
        read_ms = read_delta * 1000.0
        ms = (relayed_kernel - direct_kernel) * 1000.0 if relayed_kernel and direct_kernel else read_ms
        self.read_latencies.setdefault(key, []).append(read_ms)
        self.latencies.setdefault(key, []).append(ms)
        if idr:
            self.keyframe_latencies.setdefault(key, []).append(ms)

    def offset(self, key, relayed_seq, relayed_ts, direct_seq, direct_ts):
        # A relay that only rewrites headers keeps one constant (seq, timestamp) offset per session.
        self.offsets.setdefault(key, set()).add(((relayed_seq - direct_seq) & 0xFFFF, (relayed_ts - direct_ts) & 0xFFFFFFFF))

    def receive(self, stream):
        try:
            if stream.pair_key is None:
                return stream.sock.recv(262144), time.monotonic(), None
            chunk, ancillary, _, _ = stream.sock.recvmsg(262144, socket.CMSG_SPACE(TIMESPEC.size))
            kernel = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= TIMESPEC.size:
                    seconds, nanoseconds = TIMESPEC.unpack_from(value)
                    kernel = seconds + nanoseconds / 1e9
            return chunk, time.monotonic(), kernel
        except BlockingIOError:
            return None
        except OSError as e:
            stream.error = str(e)
            chunk = b""
        return chunk, time.monotonic(), None

    def on_readable(self, stream, chunk, now, kernel):
        if not chunk:
            stream.closed = True
            stream.error = stream.error or "closed by server"
            self.selector.unregister(stream.sock)
            return
        if stream.first_at is None:
            stream.first_at = now
        stream.last_at = now
        buf = stream.buf + chunk if stream.buf else chunk
        pos = 0
        n = len(buf)
        while pos < n:
            if buf[pos] == 0x24:  # '$'
                if n - pos < 4:
                    break
                size = (buf[pos + 2] << 8) | buf[pos + 3]
                if n - pos < 4 + size:
                    break
                if buf[pos + 1] == 0:
                    self.on_packet(stream, buf[pos + 4:pos + 4 + size], now, kernel)
                else:
                    stream.rtcp += 1
                pos += 4 + size
            else:
                # An RTSP response (keep-alive answer): skip it whole.
                end = buf.find(b"\r\n\r\n", pos)
                if end < 0:
                    break
                length = 0
                for line in buf[pos:end].split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if n < end + 4 + length:
                    break
                pos = end + 4 + length
        stream.buf = buf[pos:]
        if len(stream.buf) > MAX_BUFFER:
            stream.error = "unparseable input"
            stream.closed = True
            self.selector.unregister(stream.sock)

    def connect(self, stream):
        for _ in range(self.args.retries):
            try:
                stream.handshake(self.args.timeout)
                stream.error = None
                return
            except (OSError, ConnectionError, ValueError, IndexError) as e:
                stream.error = f"{type(e).__name__}: {e}"
                if stream.sock is not None:
                    stream.sock.close()
                    stream.sock = None
                time.sleep(1)

    def poll(self, timeout):
        # Read every ready socket first, then parse the cameras' own streams before the relayed ones, so a
        # payload that reached both in one batch is matched to this send, not to an older one.
        received = []
        for key, _ in self.selector.select(timeout):
            if key.data is None:
                self.on_command()
            else:
                got = self.receive(key.data)
                if got is not None:
                    received.append((key.data, *got))
        received.sort(key=lambda item: item[0].role != "direct")
        for stream, chunk, now, kernel in received:
            self.on_readable(stream, chunk, now, kernel)

    def on_command(self):
        line = sys.stdin.readline()
        if not line:
            self.stop_requested = True
            return
        command = line.strip()
        if command == "start":
            for stream in self.streams:
                stream.window = stream.counters()
            self.window_start = time.monotonic()
            self.latencies = {}
            self.read_latencies = {}
            self.keyframe_latencies = {}
            self.relayed_pending = {}
            self.offsets = {}
            self.ambiguous = 0
            self.measuring = True
        elif command == "stop":
            self.stop_requested = True

    def run(self):
        specs = []
        for index, item in enumerate(self.args.url):
            bind = None
            if self.args.spread_source:
                # The gateway limits connections per client address: spread viewers over 127.0.0.0/8, 200 per
                # address, each viewer process in its own block (127.<process + 1>.x.y) so processes never share one.
                block = index // 200
                bind = f"127.{1 + self.args.source_block}.{1 + block // 250}.{1 + block % 250}"
            if item.startswith("baseline:"):
                # The measurement's own floor: a second session on the camera stands in for the relayed one.
                direct = item[len("baseline:"):]
                specs.append(Stream(direct, bind, "direct", ("baseline", direct)))
                specs.append(Stream(direct, bind, "baseline", ("baseline", direct)))
            elif "=" in item:
                relayed, direct = item.split("=", 1)
                specs.append(Stream(direct, bind, "direct", direct))
                specs.append(Stream(relayed, bind, "viewer", direct))
            else:
                specs.append(Stream(item, bind, "viewer", None))
        self.stop_requested = False
        self.selector.register(sys.stdin, selectors.EVENT_READ, None)
        # Handshakes run on a few threads (a relay may take a while to DESCRIBE a camera it has not pulled
        # yet); the main thread keeps reading the streams already playing meanwhile.
        failed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.args.parallel) as pool:
            futures = {pool.submit(self.connect, stream): stream for stream in specs}
            pending = set(futures)
            while pending:
                done = [f for f in pending if f.done()]
                for future in done:
                    pending.discard(future)
                    stream = futures[future]
                    if stream.sock is None:
                        failed += 1
                        stream.closed = True
                    else:
                        self.selector.register(stream.sock, selectors.EVENT_READ, stream)
                    self.streams.append(stream)
                self.poll(0.02)
        print(f"PLAYING {len(specs) - failed} {failed}", flush=True)
        self.window_start = None
        while not self.stop_requested:
            self.poll(1.0)
            now = time.monotonic()
            for stream in self.streams:
                if not stream.closed:
                    stream.keepalive(now)
        end = time.monotonic()
        seconds = end - (self.window_start or end)
        results = []
        for stream in self.streams:
            start = stream.window or {k: 0 for k in stream.counters()}
            now_c = stream.counters()
            results.append({"url": stream.url, "role": stream.role, "error": stream.error,
                            "closed": stream.closed, "ever_received": stream.first_at is not None,
                            **{k: now_c[k] - start[k] for k in now_c},
                            "total_lost": stream.lost, "total_packets": stream.packets})
        print(json.dumps({"seconds": seconds, "streams": results,
                          "latency_ms": [v for key, values in self.latencies.items() if not isinstance(key, tuple) for v in values],
                          "read_latency_ms": [v for key, values in self.read_latencies.items() if not isinstance(key, tuple) for v in values],
                          "baseline_read_latency_ms": [v for key, values in self.read_latencies.items() if isinstance(key, tuple) for v in values],
                          "keyframe_latency_ms": [v for key, values in self.keyframe_latencies.items() if not isinstance(key, tuple) for v in values],
                          "baseline_latency_ms": [v for key, values in self.latencies.items() if isinstance(key, tuple) for v in values],
                          "latency_unmatched": self.ambiguous,
                          "offsets_per_camera": [len(v) for k, v in self.offsets.items() if not isinstance(k, tuple)]}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="+", help="rtsp URL, or relayed=direct for a latency pair")
    parser.add_argument("--timeout", type=float, default=15)
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--spread-source", action="store_true")
    parser.add_argument("--source-block", type=int, default=0, help="with --spread-source: this process's address block (one per process)")
    parser.add_argument("--parallel", type=int, default=16, help="handshakes in flight")
    args = parser.parse_args()
    try:
        os.nice(0)
    except OSError:
        pass
    Reader(args).run()


if __name__ == "__main__":
    main()
