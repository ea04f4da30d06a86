#!/usr/bin/python3
"""Soak run for StreamGateway: 20 flapping cameras, viewers joining and leaving, memory and leak checks.

Run outside CI (it takes as long as --minutes says), with the Debian Python:

    /usr/bin/python3 scripts/soak.py --minutes 30 --seed 1234 --out docs/soak.md

What it does:
  * builds the gateway (dotnet build -c Release src/StreamGateway) and runs a private copy of the build
    output (other engineers rebuild bin/ while a soak runs), on 127.0.0.1 with free ports;
  * one tests/fixtures/rtsp_camera.py process serves 20 mounts (5 schools x 4 cameras, every 4th h264+aac);
    each camera reaches it through its own TCP proxy (in this script) that flaps: it cuts the camera's
    connections (close) or blackholes them (stops forwarding, keeps them open) for 5-40 s, every 1-4 min;
    once the whole camera process is killed, and restarted 15 s later on the same port;
  * about 10 ffmpeg viewers (tcp or udp) watch random cameras for 20-120 s each, ended by SIGTERM or SIGKILL;
  * every 10 s it samples the gateway's RSS and CPU time (/proc), camera states (/api/v1/status) and the
    relay pool's outstanding packets (/metrics); every 2 s it polls states to time each recovery;
  * flapping stops at T-3 min and viewers at T-1 min; at T it checks that every camera streams, that RSS is
    within 10 % of the level after warm-up (median of minutes 3-5) and that outstanding packets came back;
  * writes a markdown report (--out) and the 10 s samples as CSV beside it.

Standard library only. Every child gets PR_SET_PDEATHSIG, and is killed on exit or signal.
"""

import argparse
import asyncio
import collections
import contextlib
import csv
import ctypes
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
CAMERA_SCRIPT = os.path.join(REPO, "tests", "fixtures", "rtsp_camera.py")
PROJECT = os.path.join(REPO, "src", "StreamGateway")
BUILD_OUTPUT = os.path.join(PROJECT, "bin", "Release", "net10.0")

SCHOOLS = 5
CAMERAS_PER_SCHOOL = 4
SAMPLE_SECONDS = 10
POLL_SECONDS = 2
VIEWER_TARGET = 10
VIEWER_MAX = 12
OUTAGE_SECONDS = (5.0, 40.0)
FLAP_INTERVAL_SECONDS = (60.0, 240.0)
CAMERA_RESTART_PAUSE = 15.0
VIEWER_SECONDS = (20.0, 120.0)
RSS_TOLERANCE = 0.10
# The gateway's own memory figures (status "runtime" block) sampled next to RSS, to tell live heap,
# free heap the GC keeps, allocation churn and the relay pool apart.
RUNTIME_FIELDS = {"gc_heap": "gcHeapBytes", "gc_committed": "gcCommittedBytes", "allocated": "allocatedBytesTotal",
                  "gen0": "gen0Collections", "gen2": "gen2Collections", "threads": "threads",
                  "pooled": "relayPacketsPooled"}
HTTP_TIMEOUT = 5.0
OUTSTANDING_METRIC = "streamgateway_relay_packets_outstanding"

_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    # Runs in the forked child: if this script dies (even by SIGKILL), the kernel kills the child too.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def log(message):
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_text(args, timeout=30):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"? ({error})"


def mem_total_mb():
    with open("/proc/meminfo", encoding="ascii") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 0


def read_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def read_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            text = f.read()
    except OSError:
        return None
    # The command name may hold spaces: fields start after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def media_flowing(camera):
    # framesPerSecond stays 0 in builds whose frame counter is not wired; bitrate is always counted.
    return (camera.get("bitrateBitsPerSecond") or 0) > 0 or (camera.get("framesPerSecond") or 0) > 0


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, spec=".1f", none="n/a"):
    return none if value is None else format(value, spec)


async def http_get(port, path):
    """Tiny HTTP/1.0 GET without threads (so forking children with preexec_fn stays safe)."""
    async with asyncio.timeout(HTTP_TIMEOUT):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            data = await reader.read(-1)
        finally:
            writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body.decode("utf-8", "replace")


def parse_metrics(text):
    """Series whose name says outstanding or pool; returns ({series: value}, total of the outstanding gauge)."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if "outstanding" in name or "pool" in name:
            try:
                series[line.rsplit(" ", 1)[0]] = float(line.rsplit(" ", 1)[1])
            except ValueError:
                continue
    outstanding = [v for k, v in series.items() if k.split("{", 1)[0] == OUTSTANDING_METRIC]
    return series, (sum(outstanding) if outstanding else None)


class Clock:
    def __init__(self):
        self.start = time.monotonic()

    def now(self):
        return time.monotonic() - self.start

    async def sleep_until(self, t):
        delay = t - self.now()
        if delay > 0:
            await asyncio.sleep(delay)


class Phases:
    """Run timeline, seconds from start. A full run uses the fixed minutes of the brief; a short smoke run
    scales them so each phase still happens."""

    def __init__(self, minutes, rng):
        self.total = minutes * 60.0
        t = self.total
        if minutes >= 15:
            self.warmup_end, self.level_end = 180.0, 300.0
            self.flap_stop, self.viewers_stop = t - 180.0, t - 60.0
            self.flap_scale = 1.0
            self.restart_at = rng.uniform(0.35 * t, 0.6 * t)
        else:
            self.warmup_end, self.level_end = 0.1 * t, 0.17 * t
            self.flap_stop, self.viewers_stop = 0.5 * t, 0.85 * t
            self.flap_scale = max(0.1, minutes / 30.0)
            self.restart_at = 0.2 * t
        self.flap_start = min(30.0, self.warmup_end)


class ManagedProcess:
    """A child process whose output goes to a log file; optional callback per stdout line."""

    def __init__(self, name, args, log_path, env=None, on_line=None):
        self.name, self.args, self.log_path, self.env, self.on_line = name, args, log_path, env, on_line
        self.proc = None
        self._pump = None

    async def start(self):
        self.log_file = open(self.log_path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, env=self.env, preexec_fn=die_with_parent, cwd=REPO)
        self._pump = asyncio.create_task(self._read())
        return self.proc

    async def _read(self):
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\n")
            self.log_file.write(text + "\n")
            self.log_file.flush()
            if self.on_line is not None:
                self.on_line(text)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.returncode is None

    async def stop(self, sig=signal.SIGTERM, grace=10.0):
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        if self._pump is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._pump, 5)
        self.log_file.close()
        return self.proc.returncode


class CameraServer:
    """One rtsp_camera.py process with every mount; restarted on the same port after the planned kill."""

    def __init__(self, mounts, workdir):
        self.mounts, self.workdir = mounts, workdir
        self.port = 0
        self.process = None
        self.ready = None
        self.starts = 0

    def _on_line(self, text):
        if text.startswith("READY ") and not self.ready.done():
            self.ready.set_result(int(text.split()[1]))

    async def start(self, attempts=5):
        for attempt in range(attempts):
            self.ready = asyncio.get_running_loop().create_future()
            args = [PYTHON, CAMERA_SCRIPT, "--port", str(self.port)]
            for name, kind in self.mounts:
                args += ["--mount", f"{name}={kind}"]
            self.process = ManagedProcess("camera", args, os.path.join(self.workdir, "camera.log"), on_line=self._on_line)
            await self.process.start()
            try:
                self.port = await asyncio.wait_for(self.ready, 30)
                self.starts += 1
                return
            except asyncio.TimeoutError:
                pass
            await self.process.stop(signal.SIGKILL, 2)
            log(f"camera process did not report READY (attempt {attempt + 1}); retrying")
            await asyncio.sleep(2)
        raise RuntimeError("camera process would not start")

    async def kill(self):
        await self.process.stop(signal.SIGKILL, 5)


class ProxyConnection:
    def __init__(self):
        self.writers = []


class FlappingProxy:
    """TCP proxy in front of the camera server for one camera. States: up, cut (connections closed, new ones
    reset), blackhole (nothing forwarded either way, connections left open; TCP backpressure builds as on
    a dead link, and whatever is stale surfaces when it comes back)."""

    def __init__(self, path, upstream_port_of):
        self.path = path
        self.upstream_port_of = upstream_port_of
        self.state = "up"
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.connections = set()
        self.accepted = 0
        self.bytes = 0
        self.server = None
        self.port = 0

    async def start(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader, writer):
        self.accepted += 1
        if self.state == "cut":
            writer.transport.abort()
            return
        try:
            async with asyncio.timeout(5):
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port_of())
        except (OSError, asyncio.TimeoutError):
            writer.transport.abort()
            return
        conn = ProxyConnection()
        conn.writers = [writer, up_writer]
        self.connections.add(conn)
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True)
        finally:
            self.connections.discard(conn)
            self._close(conn)

    async def _pump(self, source, target):
        try:
            while True:
                await self.flowing.wait()
                data = await source.read(65536)
                if not data:
                    break
                await self.flowing.wait()
                target.write(data)
                self.bytes += len(data)
                await target.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            # One direction ending ends the connection: close both sides so the other pump wakes up.
            for conn in list(self.connections):
                if target in conn.writers:
                    self._close(conn)

    @staticmethod
    def _close(conn):
        for w in conn.writers:
            with contextlib.suppress(Exception):
                w.close()

    def cut(self):
        self.state = "cut"
        for conn in list(self.connections):
            self._close(conn)

    def blackhole(self):
        self.state = "blackhole"
        self.flowing.clear()

    def restore(self):
        self.state = "up"
        self.flowing.set()

    async def close(self):
        self.restore()
        self.server.close()
        for conn in list(self.connections):
            self._close(conn)


class Viewer:
    def __init__(self, number, path, transport, seconds, url):
        self.number, self.path, self.transport, self.seconds, self.url = number, path, transport, seconds, url
        self.started = None
        self.ended = None
        self.frames = 0
        self.early = False
        self.returncode = None
        self.how = ""
        self.tail = collections.deque(maxlen=8)


class Soak:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed
        self.rng = random.Random(f"{self.seed}-main")
        self.phases = Phases(args.minutes, self.rng)
        self.clock = Clock()
        self.workdir = args.workdir or tempfile.mkdtemp(prefix="streamgateway-soak-")
        os.makedirs(self.workdir, exist_ok=True)
        self.cameras = []  # (school, camera, mount, kind)
        for s in range(1, SCHOOLS + 1):
            for c in range(1, CAMERAS_PER_SCHOOL + 1):
                index = (s - 1) * CAMERAS_PER_SCHOOL + c
                kind = "h264+aac" if index % 4 == 0 else "h264"
                self.cameras.append((f"school-{s}", f"cam-{c}", f"s{s}c{c}", kind))
        self.paths = [f"{school}/{cam}" for school, cam, _, _ in self.cameras]
        self.camera_server = CameraServer([(m, k) for _, _, m, k in self.cameras], self.workdir)
        self.proxies = {}
        self.gateway = None
        self.gateway_pids = []
        self.crashes = []
        self.rtsp_port = self.http_port = 0
        self.samples = []
        self.flaps = []  # dicts: path, kind, start, end, recovered_at
        self.camera_restart = {}
        self.viewers = []
        self.active_viewers = set()
        self.latest_states = {}
        self.state_history = collections.defaultdict(list)  # path -> [(t, state)] on change
        self.metrics_missing = False
        self.metric_series_seen = set()
        self.poll_errors = 0
        self.gateway_stop_rc = None
        self.drain = {"before": None, "after": None, "seconds": None}
        self.notes = []
        self.machine = {}
        self.build = {}

    # ---- setup -------------------------------------------------------------------------------------------

    def describe_machine(self):
        load = os.getloadavg()
        self.machine = {
            "nproc": run_text(["nproc"]),
            "cpu": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="ascii", errors="replace")
                         if line.startswith("model name")), "?"),
            "memory": f"{mem_total_mb()} MB",
            "kernel": platform.release(),
            "dotnet": run_text(["dotnet", "--version"]),
            "python": platform.python_version(),
            "ffmpeg": run_text(["ffmpeg", "-version"]).splitlines()[0] if shutil.which("ffmpeg") else "missing",
            "load at start": " ".join(f"{x:.2f}" for x in load),
        }
        commit = run_text(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
        dirty = run_text(["git", "-C", REPO, "status", "--porcelain", "--", "src"])
        self.build["commit"] = commit + (" + uncommitted changes in src/" if dirty else "")

    async def build_gateway(self):
        if self.args.no_build:
            log("skipping build (--no-build)")
            self.build["build"] = "skipped (--no-build), existing bin/Release used"
        else:
            for attempt in range(1, 4):
                log(f"building the gateway (attempt {attempt})")
                proc = await asyncio.create_subprocess_exec(
                    "dotnet", "build", "-c", "Release", PROJECT, "-nologo", "-v", "q",
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=REPO)
                out, _ = await asyncio.wait_for(proc.communicate(), 900)
                if proc.returncode == 0:
                    self.build["build"] = f"dotnet build -c Release src/StreamGateway (attempt {attempt})"
                    break
                tail = out.decode(errors="replace").strip().splitlines()[-15:]
                log("build failed:\n  " + "\n  ".join(tail))
                if attempt == 3:
                    raise RuntimeError("gateway build failed three times")
                await asyncio.sleep(60)  # someone else's build may hold files; retry
        # A private copy: other engineers rebuild bin/ while this runs.
        target = os.path.join(self.workdir, "gateway-bin")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(BUILD_OUTPUT, target)
        self.gateway_dll = os.path.join(target, "StreamGateway.dll")

    def write_config(self):
        self.rtsp_port, self.http_port = free_port(), free_port()
        while self.http_port == self.rtsp_port:
            self.http_port = free_port()
        schools = {}
        for school, cam, _, _ in self.cameras:
            proxy = self.proxies[f"{school}/{cam}"]
            mount = next(m for s, c, m, _ in self.cameras if s == school and c == cam)
            schools.setdefault(school, {"Name": f"Soak {school}", "District": "soak", "Cameras": {}})
            schools[school]["Cameras"][cam] = {"Source": f"rtsp://127.0.0.1:{proxy.port}/{mount}", "Transport": "tcp"}
        config = {"Gateway": {"Rtsp": {"Port": self.rtsp_port, "BindAddress": "127.0.0.1"},
                              "Http": {"Port": self.http_port, "BindAddress": "127.0.0.1"},
                              "Schools": schools}}
        self.config_path = os.path.join(self.workdir, "gateway.json")
        with open(self.config_path, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)

    async def start_gateway(self):
        env = dict(os.environ)
        env.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        self.gateway = ManagedProcess("gateway", ["dotnet", self.gateway_dll, "--config", self.config_path],
                                      os.path.join(self.workdir, "gateway.log"), env=env)
        await self.gateway.start()
        self.gateway_pids.append(self.gateway.pid)
        for _ in range(120):
            if not self.gateway.alive():
                raise RuntimeError(f"gateway exited at start (rc {self.gateway.proc.returncode}); see {self.workdir}/gateway.log")
            with contextlib.suppress(OSError, asyncio.TimeoutError, ValueError, IndexError):
                status, _ = await http_get(self.http_port, "/healthz")
                if status == 200:
                    return
            await asyncio.sleep(0.5)
        raise RuntimeError("gateway HTTP status did not answer within 60 s")

    # ---- activity ----------------------------------------------------------------------------------------

    async def flap_camera(self, path, index):
        rng = random.Random(f"{self.seed}-flap-{index}")
        proxy = self.proxies[path]
        p = self.phases
        t = p.flap_start + rng.uniform(0, FLAP_INTERVAL_SECONDS[1] * p.flap_scale)
        for _ in range(1000):
            await self.clock.sleep_until(t)
            now = self.clock.now()
            if now >= p.flap_stop:
                return
            kind = rng.choice(("cut", "blackhole"))
            duration = min(rng.uniform(*OUTAGE_SECONDS), p.flap_stop - now)
            record = {"path": path, "kind": kind, "start": now, "end": None, "recovered_at": None}
            self.flaps.append(record)
            proxy.cut() if kind == "cut" else proxy.blackhole()
            await asyncio.sleep(duration)
            proxy.restore()
            record["end"] = self.clock.now()
            t = record["end"] + rng.uniform(*FLAP_INTERVAL_SECONDS) * p.flap_scale

    async def restart_camera_process(self):
        await self.clock.sleep_until(self.phases.restart_at)
        at = self.clock.now()
        log(f"killing the camera process (all 20 cameras) at {at:.0f} s")
        await self.camera_server.kill()
        await asyncio.sleep(CAMERA_RESTART_PAUSE)
        await self.camera_server.start()
        back = self.clock.now()
        self.camera_restart = {"killed": at, "restarted": back, "all_streaming": None}
        log(f"camera process restarted on port {self.camera_server.port} at {back:.0f} s")

    async def run_viewer(self, viewer):
        args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-stats",
                "-rtsp_transport", viewer.transport, "-i", viewer.url, "-c", "copy", "-f", "null", "-"]
        proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE, preexec_fn=die_with_parent)
        viewer.started = self.clock.now()
        frame_re = re.compile(rb"frame=\s*(\d+)")

        async def read_stderr():
            pending = b""
            while True:
                chunk = await proc.stderr.read(4096)
                if not chunk:
                    break
                pending = (pending + chunk)[-8192:]
                parts = re.split(rb"[\r\n]", pending)
                pending = parts[-1]
                for part in parts[:-1]:
                    m = frame_re.search(part)
                    if m:
                        viewer.frames = int(m.group(1))
                    elif part.strip():
                        viewer.tail.append(part.decode(errors="replace").strip()[:200])

        reader = asyncio.create_task(read_stderr())
        try:
            await asyncio.wait_for(proc.wait(), viewer.seconds)
            viewer.early = True
            viewer.how = "exited by itself"
        except asyncio.TimeoutError:
            viewer.how = self.rng.choice(("SIGTERM", "SIGTERM", "SIGKILL"))
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM if viewer.how == "SIGTERM" else signal.SIGKILL)
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                viewer.how += " then SIGKILL"
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            viewer.how = "stopped at end of viewer phase"
            raise
        finally:
            viewer.returncode = proc.returncode
            viewer.ended = self.clock.now()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(reader, 3)

    async def viewers_loop(self):
        rng = random.Random(f"{self.seed}-viewers")
        tasks = set()
        number = 0
        try:
            while self.clock.now() < self.phases.viewers_stop:
                tasks = {t for t in tasks if not t.done()}
                if len(tasks) < VIEWER_TARGET and len(tasks) < VIEWER_MAX:
                    number += 1
                    path = rng.choice(self.paths)
                    viewer = Viewer(number, path, rng.choice(("tcp", "udp")), rng.uniform(*VIEWER_SECONDS),
                                    f"rtsp://127.0.0.1:{self.rtsp_port}/{path}")
                    self.viewers.append(viewer)
                    task = asyncio.create_task(self.run_viewer(viewer))
                    tasks.add(task)
                    self.active_viewers.add(task)
                    task.add_done_callback(self.active_viewers.discard)
                await asyncio.sleep(min(rng.uniform(1.0, 4.0), max(0.1, self.phases.viewers_stop - self.clock.now())))
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            log(f"viewers stopped at {self.clock.now():.0f} s ({number} started)")

    # ---- observation -------------------------------------------------------------------------------------

    async def fetch_status(self):
        status, body = await http_get(self.http_port, "/api/v1/status")
        if status != 200:
            raise ValueError(f"status {status}")
        report = json.loads(body)
        self.last_runtime = report.get("runtime")
        return {c["path"]: c for s in report["schools"] for c in s["cameras"]}

    async def poll_loop(self):
        while True:
            try:
                cameras = await self.fetch_status()
            except (OSError, ValueError, KeyError, asyncio.TimeoutError):
                self.poll_errors += 1
                await asyncio.sleep(POLL_SECONDS)
                continue
            now = self.clock.now()
            self.latest_states = cameras
            for path, cam in cameras.items():
                history = self.state_history[path]
                if not history or history[-1][1] != cam["state"]:
                    history.append((now, cam["state"]))
            for flap in self.flaps:
                if flap["end"] is None or flap["recovered_at"] is not None:
                    continue
                cam = cameras.get(flap["path"], {})
                if cam.get("state") != "streaming" or not media_flowing(cam):
                    flap.pop("candidate", None)
                    continue
                # Recovered: streaming at two polls in a row with packets arriving in between (stale
                # data of a blackholed link or a bitrate still decaying cannot pass for a live stream).
                packets = cam.get("packetsReceived", 0)
                candidate = flap.get("candidate")
                if candidate is not None and packets > candidate[1]:
                    flap["recovered_at"] = candidate[0]
                else:
                    flap["candidate"] = (now, packets)
            r = self.camera_restart
            if r and r.get("all_streaming") is None and all(c["state"] == "streaming" for c in cameras.values()):
                r["all_streaming"] = now
            await asyncio.sleep(POLL_SECONDS)

    async def sample_once(self):
        now = self.clock.now()
        pid = self.gateway.pid
        sample = {"t": round(now, 1), "rss_kb": read_rss_kb(pid), "cpu_s": read_cpu_seconds(pid),
                  "alive": self.gateway.alive(), "streaming": None, "states": "", "gw_viewers": None,
                  "our_viewers": len(self.active_viewers), "outstanding": None, "pool_series": "",
                  "flapping": sum(1 for p in self.proxies.values() if p.state != "up"),
                  "camera_up": self.camera_server.process.alive()}
        try:
            cameras = await self.fetch_status()
            counts = collections.Counter(c["state"] for c in cameras.values())
            sample["streaming"] = counts.get("streaming", 0)
            sample["states"] = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            sample["gw_viewers"] = sum(c.get("viewers", 0) for c in cameras.values())
            runtime = getattr(self, "last_runtime", None) or {}
            for key, field in RUNTIME_FIELDS.items():
                sample[key] = runtime.get(field)
        except (OSError, ValueError, KeyError, asyncio.TimeoutError) as error:
            sample["states"] = f"error: {error!r}"[:80]
        try:
            status, body = await http_get(self.http_port, "/metrics")
            if status == 200:
                series, outstanding = parse_metrics(body)
                self.metric_series_seen.update(k.split("{", 1)[0] for k in series)
                sample["outstanding"] = outstanding
                sample["pool_series"] = " ".join(f"{k}={v:g}" for k, v in sorted(series.items()))[:300]
                if outstanding is None:
                    self.metrics_missing = True
        except (OSError, ValueError, asyncio.TimeoutError):
            pass
        self.samples.append(sample)
        return sample

    async def sample_loop(self, until):
        n = 0
        while True:
            target = n * SAMPLE_SECONDS
            if target > until:
                return
            await self.clock.sleep_until(target)
            s = await self.sample_once()
            if not self.gateway.alive():
                await self.on_gateway_died()
            if n % 6 == 0:
                log(f"t={s['t']:.0f}s rss={fmt(s['rss_kb'] and s['rss_kb'] / 1024)}MB states[{s['states']}] "
                    f"viewers={s['our_viewers']}/{s['gw_viewers']} outstanding={fmt(s['outstanding'], '.0f')} "
                    f"flapping={s['flapping']}")
            n += 1

    async def on_gateway_died(self):
        rc = self.gateway.proc.returncode
        at = self.clock.now()
        tail = []
        with contextlib.suppress(OSError):
            with open(self.gateway.log_path, encoding="utf-8", errors="replace") as f:
                tail = list(collections.deque(f, maxlen=30))
        self.crashes.append({"t": at, "rc": rc, "tail": [line.rstrip() for line in tail]})
        log(f"GATEWAY DIED at {at:.0f} s, exit code {rc}; restarting it")
        if len(self.crashes) > 5:
            raise RuntimeError("gateway died more than five times")
        await self.start_gateway()

    # ---- run ---------------------------------------------------------------------------------------------

    async def run(self):
        p = self.phases
        log(f"seed {self.seed}; {self.args.minutes} min; workdir {self.workdir}")
        log(f"phases: warm-up until {p.warmup_end:.0f} s, level {p.warmup_end:.0f}-{p.level_end:.0f} s, flapping "
            f"{p.flap_start:.0f}-{p.flap_stop:.0f} s, camera restart at {p.restart_at:.0f} s, viewers until "
            f"{p.viewers_stop:.0f} s, end {p.total:.0f} s")
        self.describe_machine()
        await self.build_gateway()
        await self.camera_server.start()
        log(f"camera server on port {self.camera_server.port}")
        for path in self.paths:
            proxy = FlappingProxy(path, lambda: self.camera_server.port)
            await proxy.start()
            self.proxies[path] = proxy
        self.write_config()
        self.clock = Clock()
        await self.start_gateway()
        log(f"gateway pid {self.gateway.pid}: rtsp {self.rtsp_port}, http {self.http_port}")
        background = [asyncio.create_task(self.poll_loop())]
        activity = [asyncio.create_task(self.flap_camera(path, i)) for i, path in enumerate(self.paths)]
        activity.append(asyncio.create_task(self.restart_camera_process()))
        activity.append(asyncio.create_task(self.viewers_loop()))
        try:
            await self.sample_loop(p.total)
            for task in activity:
                if task.done() and task.exception() is not None:
                    self.notes.append(f"activity task failed: {task.exception()!r}")
        finally:
            for task in background + activity:
                task.cancel()
            await asyncio.gather(*background, *activity, return_exceptions=True)
        self.final_states = dict(self.latest_states)
        with contextlib.suppress(OSError, ValueError, KeyError, asyncio.TimeoutError):
            self.final_states = await self.fetch_status()
        self.load_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
        await self.drain_check()
        log("stopping the gateway (SIGTERM)")
        t0 = time.monotonic()
        self.gateway_stop_rc = await self.gateway.stop(signal.SIGTERM, 20)
        self.gateway_stop_seconds = time.monotonic() - t0

    async def drain_check(self):
        """Leak check proper: remove every camera by a live config edit (their hubs and GOP caches go away);
        with no camera and no viewer, every packet rented from the relay pool must have come back."""
        self.drain = {"before": None, "after": None, "seconds": None}
        with contextlib.suppress(OSError, ValueError, asyncio.TimeoutError):
            _, body = await http_get(self.http_port, "/metrics")
            self.drain["before"] = parse_metrics(body)[1]
        if self.drain["before"] is None:
            return
        with open(self.config_path, encoding="utf-8") as f:
            config = json.load(f)
        config["Gateway"]["Schools"] = {}
        temp = self.config_path + ".tmp"
        with open(temp, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2)
        os.replace(temp, self.config_path)
        t0 = time.monotonic()
        for _ in range(60):
            await asyncio.sleep(1)
            with contextlib.suppress(OSError, ValueError, asyncio.TimeoutError):
                _, body = await http_get(self.http_port, "/metrics")
                self.drain["after"] = parse_metrics(body)[1]
                if self.drain["after"] == 0:
                    break
        self.drain["seconds"] = time.monotonic() - t0
        log(f"drain: outstanding {self.drain['before']} with 20 cameras, {self.drain['after']} after removing them all")

    async def cleanup(self):
        if self.gateway is not None and self.gateway.alive():
            await self.gateway.stop(signal.SIGKILL, 5)
        for proxy in self.proxies.values():
            with contextlib.suppress(Exception):
                await proxy.close()
        if self.camera_server.process is not None:
            await self.camera_server.process.stop(signal.SIGTERM, 5)

    # ---- report ------------------------------------------------------------------------------------------

    def gateway_log_summary(self):
        levels = collections.Counter()
        events = collections.Counter()
        first_lines = {}
        interesting = {}
        line_re = re.compile(r"^\S+ \S+ (\w+): ([\w.]+)\[(\d+)\]")
        with contextlib.suppress(OSError):
            with open(os.path.join(self.workdir, "gateway.log"), encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = line_re.match(line)
                    if m:
                        level, category, event = m.groups()
                        levels[level] += 1
                        key = (level, category.rsplit(".", 1)[-1], event)
                        events[key] += 1
                        first_lines.setdefault(key, line.strip()[:240])
                        if level in ("fail", "crit"):
                            # Same message for another camera or time: one row with a count.
                            text = line.split(": ", 1)[-1]
                            shape = re.sub(r"Camera \S+|School \S+|\d+(\.\d+)?", "#", text)[:160]
                            interesting.setdefault(shape, [0, line.strip()[:400]])[0] += 1
                    elif "Unhandled exception" in line or "   at " in line[:8]:
                        interesting.setdefault(line.strip()[:160], [0, line.rstrip()[:400]])[0] += 1
        return levels, events, first_lines, sorted(interesting.values(), key=lambda v: -v[0])[:20]

    def camera_log_lines(self, path, limit=12):
        lines = []
        with contextlib.suppress(OSError):
            with open(os.path.join(self.workdir, "gateway.log"), encoding="utf-8", errors="replace") as f:
                lines = [line.rstrip()[:300] for line in f if path in line]
        return lines[-limit:]

    def write_report(self):
        out = self.args.out
        p = self.phases
        samples = self.samples
        csv_path = os.path.splitext(out)[0] + ".csv"
        fields = ["t", "rss_kb", "cpu_s", "alive", "streaming", "states", "gw_viewers", "our_viewers",
                  "outstanding", "flapping", "camera_up", "pool_series", *RUNTIME_FIELDS]
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(csv_path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            for s in samples:
                w.writerow(s)

        def window(lo, hi, key):
            return [s[key] for s in samples if lo <= s["t"] < hi and s[key] is not None]

        level_rss = median(window(p.warmup_end, p.level_end, "rss_kb"))
        end_window = (p.total - 60.0, p.total + 1) if p.total >= 600 else (p.viewers_stop + 5, p.total + 1)
        end_rss = median(window(*end_window, "rss_kb"))
        last_rss = samples[-1]["rss_kb"] if samples else None
        peak_rss = max((s["rss_kb"] for s in samples if s["rss_kb"]), default=None)
        rss_change = (end_rss - level_rss) / level_rss if level_rss and end_rss else None
        rss_ok = rss_change is not None and rss_change <= RSS_TOLERANCE

        # Leak or slow warm-up? The least-squares slope of RSS from minute 10 to the end of flapping.
        trend = [(s["t"] / 60, s["rss_kb"] / 1024) for s in samples
                 if 600 <= s["t"] < p.flap_stop and s["rss_kb"] is not None and s["alive"]]
        rss_slope = None
        if len(trend) >= 10:
            mx = sum(x for x, _ in trend) / len(trend)
            my = sum(y for _, y in trend) / len(trend)
            sxx = sum((x - mx) ** 2 for x, _ in trend)
            rss_slope = sum((x - mx) * (y - my) for x, y in trend) / sxx if sxx else None
        level_out = median(window(p.warmup_end, p.level_end, "outstanding"))
        end_out_values = window(*end_window, "outstanding")
        end_out = samples[-1]["outstanding"] if samples else None
        peak_out = max((s["outstanding"] for s in samples if s["outstanding"] is not None), default=None)

        # Each streaming camera holds about one GOP in its cache, so the raw count follows how many cameras
        # stream (several are in outages during the level window): compare packets per streaming camera.
        def per_streaming_camera(start, end):
            return median([s["outstanding"] / s["streaming"] for s in samples
                           if start <= s["t"] < end and s["outstanding"] is not None and s["streaming"]])
        level_per_camera = per_streaming_camera(p.warmup_end, p.level_end)
        end_per_camera = per_streaming_camera(*end_window)
        out_ok = None
        if level_per_camera is not None and end_per_camera is not None:
            out_ok = end_per_camera <= level_per_camera * 1.1 + 5

        final = self.final_states
        not_streaming = {path: cam for path, cam in final.items()
                         if cam.get("state") != "streaming" or not media_flowing(cam)}
        all_streaming = len(final) == len(self.paths) and not not_streaming
        crashes = len(self.crashes)
        total_cpu = None
        if samples and samples[-1]["cpu_s"] is not None and samples[0]["cpu_s"] is not None and not self.crashes:
            total_cpu = (samples[-1]["cpu_s"] - samples[0]["cpu_s"]) / max(1.0, samples[-1]["t"] - samples[0]["t"]) * 100

        recovered = [f["recovered_at"] - f["end"] for f in self.flaps if f["end"] is not None and f["recovered_at"]]
        unrecovered = [f for f in self.flaps if f["end"] is not None and not f["recovered_at"]]
        slow = [f for f in self.flaps if f["recovered_at"] and f["recovered_at"] - f["end"] > 30]
        flap_kinds = collections.Counter(f["kind"] for f in self.flaps)
        viewers_early = [v for v in self.viewers if v.early]
        viewers_blind = [v for v in self.viewers if v.frames == 0 and v.ended is not None]
        viewers_by_transport = collections.Counter(v.transport for v in self.viewers)
        levels, events, first_lines, interesting = self.gateway_log_summary()

        def verdict(ok):
            return "n/a" if ok is None else ("PASS" if ok else "FAIL")

        L = []
        L.append("# Soak run: 20 flapping cameras, viewers joining and leaving")
        L.append("")
        L.append(f"Generated by `scripts/soak.py` on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} "
                 f"({self.args.minutes} minutes, seed {self.seed}). Re-run:")
        L.append("")
        L.append(f"    /usr/bin/python3 scripts/soak.py --minutes {self.args.minutes} --seed {self.seed} --out {self.args.out}")
        L.append("")
        L.append("## Verdicts")
        L.append("")
        L.append("| check | result | figure |")
        L.append("|---|---|---|")
        L.append(f"| every camera streaming at the end | {verdict(all_streaming)} | "
                 f"{len(final) - len(not_streaming)}/{len(self.paths)} streaming with media flowing (bitrate > 0) |")
        L.append(f"| RSS at end within {RSS_TOLERANCE:.0%} of the post-warm-up level | {verdict(rss_ok if rss_change is not None else None)} | "
                 f"level {fmt(level_rss and level_rss / 1024)} MB (median {p.warmup_end / 60:g}-{p.level_end / 60:g} min), "
                 f"end {fmt(end_rss and end_rss / 1024)} MB (median of the last minute; last sample {fmt(last_rss and last_rss / 1024)} MB), "
                 f"change {fmt(rss_change and rss_change * 100, '+.1f')} %, peak {fmt(peak_rss and peak_rss / 1024)} MB |")
        if rss_slope is not None:
            L.append(f"| RSS trend from minute 10 to the end of flapping (leak check) | info | "
                     f"{rss_slope:+.2f} MB/min (least squares over {len(trend)} samples) |")
        if self.metrics_missing and level_out is None:
            L.append(f"| leaked relay packets | n/a | `/metrics` has no `{OUTSTANDING_METRIC}` series in this build |")
        else:
            L.append(f"| outstanding relay packets per streaming camera back to the post-warm-up level | {verdict(out_ok)} | "
                     f"level {fmt(level_per_camera, '.1f')} per streaming camera ({fmt(level_out, '.0f')} in all), "
                     f"end {fmt(end_per_camera, '.1f')} ({fmt(end_out, '.0f')} in all; last-minute values "
                     f"{', '.join(fmt(v, '.0f') for v in end_out_values) or 'n/a'}), peak {fmt(peak_out, '.0f')}; "
                     f"a 1 s GOP cache holds about 25-40 |")
        d = self.drain
        if d["before"] is not None:
            L.append(f"| zero leaked relay packets: every camera removed by a live config edit at the end | "
                     f"{verdict(d['after'] == 0)} | outstanding {fmt(d['before'], '.0f')} with 20 cameras and no viewer, "
                     f"{fmt(d['after'], '.0f')} {fmt(d['seconds'], '.0f')} s after the edit |")
        L.append(f"| gateway alive throughout, crashes = 0 | {verdict(crashes == 0)} | {crashes} crashes; "
                 f"SIGTERM at the end: exit code {self.gateway_stop_rc} after {self.gateway_stop_seconds:.1f} s |")
        L.append(f"| every outage recovered | {verdict(not unrecovered)} | {len(self.flaps)} outages, "
                 f"{len(unrecovered)} not recovered; recovery after the link came back: median "
                 f"{fmt(median(recovered))} s, max {fmt(max(recovered, default=None))} s (state polled every {POLL_SECONDS} s) |")
        r = self.camera_restart
        if r:
            # Per camera: first poll showing it streaming after the restart (its own flaps go on meanwhile).
            back = []
            for path in self.paths:
                first = next((t for t, st in self.state_history.get(path, []) if t >= r["restarted"] and st == "streaming"), None)
                back.append(None if first is None else first - r["restarted"])
            known = sorted(b for b in back if b is not None)
            within10 = sum(1 for b in known if b <= 10)
            L.append(f"| every camera back after the camera process restart | {verdict(len(known) == len(self.paths))} | "
                     f"killed at {r['killed'] / 60:.1f} min, restarted {CAMERA_RESTART_PAUSE:.0f} s later; cameras streaming "
                     f"again: {within10}/20 within 10 s, median {fmt(median(known))} s, last {fmt(known[-1] if known else None)} s "
                     f"(a camera in its own outage then waits for it); all 20 at once "
                     f"{fmt(r.get('all_streaming') and r['all_streaming'] - r['restarted'])} s after |")
        L.append(f"| viewers kept their sessions | {verdict(not viewers_early)} | {len(self.viewers)} viewers "
                 f"({viewers_by_transport.get('tcp', 0)} tcp, {viewers_by_transport.get('udp', 0)} udp), "
                 f"{len(viewers_early)} ended by themselves, {len(viewers_blind)} got no frame |")
        L.append("")
        L.append("Notes on the figures: CPU percentages (and recovery times, a little) depend on what else the "
                 "machine runs (see the load averages under Machine); they are shown for shape, not as a "
                 "benchmark. CPU % is the gateway's utime+stime over wall time, 100 % = one core. RSS is VmRSS.")
        L.append("")
        L.append("## Machine")
        L.append("")
        for k, v in self.machine.items():
            L.append(f"- {k}: {v}")
        L.append(f"- load at end: {self.load_end}")
        L.append(f"- gateway: {self.build.get('commit')}; {self.build.get('build')}; run from a private copy of "
                 "`bin/Release/net10.0` (others rebuild it meanwhile), default GC settings")
        L.append("")
        L.append("## Parameters")
        L.append("")
        kinds = collections.Counter(k for _, _, _, k in self.cameras)
        L.append(f"- {len(self.cameras)} cameras in {SCHOOLS} schools ({', '.join(f'{n} {k}' for k, n in kinds.items())}), "
                 "one `tests/fixtures/rtsp_camera.py` process (320x240, 25 fps, 1 s GOP), Transport tcp; each camera "
                 "reached through its own TCP proxy in the script")
        L.append(f"- flapping from {p.flap_start:.0f} s to {p.flap_stop / 60:g} min: per camera every "
                 f"{FLAP_INTERVAL_SECONDS[0] * p.flap_scale:.0f}-{FLAP_INTERVAL_SECONDS[1] * p.flap_scale:.0f} s, an outage of "
                 f"{OUTAGE_SECONDS[0]:.0f}-{OUTAGE_SECONDS[1]:.0f} s, either *cut* (connections closed, new ones reset) or "
                 "*blackhole* (nothing forwarded, connections left open, stale ones surface when the link returns)")
        L.append(f"- camera process killed (SIGKILL) once at {p.restart_at / 60:.1f} min, restarted on the same port "
                 f"{CAMERA_RESTART_PAUSE:.0f} s later")
        L.append(f"- viewers: ffmpeg `-rtsp_transport tcp|udp -c copy -f null`, kept at {VIEWER_TARGET} (at most {VIEWER_MAX}), "
                 f"each for {VIEWER_SECONDS[0]:.0f}-{VIEWER_SECONDS[1]:.0f} s, ended by SIGTERM (2/3) or SIGKILL (1/3); "
                 f"all stopped at {p.viewers_stop / 60:g} min")
        L.append(f"- warm-up until {p.warmup_end / 60:g} min; post-warm-up level = median RSS of "
                 f"{p.warmup_end / 60:g}-{p.level_end / 60:g} min; samples every {SAMPLE_SECONDS} s "
                 f"(CSV: `{os.path.basename(csv_path)}`), state polled every {POLL_SECONDS} s")
        L.append(f"- seed {self.seed} (flaps, viewers and the restart time derive from it; timing of real processes "
                 "makes runs similar, not identical)")
        L.append("")
        L.append("## Timeline (one row a minute)")
        L.append("")
        L.append("| min | RSS MB | GC heap / committed MB | alloc MB/s | CPU % | streaming | states | viewers (ours/gateway) | outstanding | links down |")
        L.append("|---|---|---|---|---|---|---|---|---|---|")
        prev = None
        minutes_done = set()
        for s in samples:
            minute = int((s["t"] + 5) // 60)
            if minute in minutes_done:
                continue
            minutes_done.add(minute)
            cpu = None
            if prev is not None and s["cpu_s"] is not None and prev["cpu_s"] is not None and s["cpu_s"] >= prev["cpu_s"]:
                cpu = (s["cpu_s"] - prev["cpu_s"]) / max(1.0, s["t"] - prev["t"]) * 100
            alloc = None
            if prev is not None and s.get("allocated") is not None and prev.get("allocated") is not None:
                alloc = (s["allocated"] - prev["allocated"]) / max(1.0, s["t"] - prev["t"]) / 2**20
            heap = (f"{fmt(s.get('gc_heap') and s['gc_heap'] / 2**20)} / {fmt(s.get('gc_committed') and s['gc_committed'] / 2**20)}"
                    if s.get("gc_heap") is not None else "n/a")
            L.append(f"| {minute} | {fmt(s['rss_kb'] and s['rss_kb'] / 1024)} | {heap} | {fmt(alloc, '.2f')} | {fmt(cpu)} | "
                     f"{fmt(s['streaming'], 'd')}/{len(self.paths)} | {s['states']} | {s['our_viewers']}/{fmt(s['gw_viewers'], 'd')} | "
                     f"{fmt(s['outstanding'], '.0f')} | {s['flapping']}{'' if s['camera_up'] else ' (camera process down)'} |")
            prev = s
        if total_cpu is not None:
            L.append("")
            L.append(f"Gateway CPU over the whole run: {total_cpu:.1f} % of one core on average.")
        if self.metrics_missing:
            seen = ", ".join(sorted(self.metric_series_seen)) or "none"
            L.append("")
            L.append(f"`/metrics` exposed no `{OUTSTANDING_METRIC}` gauge in this build (series named like "
                     f"outstanding/pool seen: {seen}), so leaked buffers could not be counted from outside.")
        L.append("")
        L.append("## Outages")
        L.append("")
        per_cam = collections.Counter(f["path"] for f in self.flaps)
        L.append(f"{len(self.flaps)} outages ({flap_kinds.get('cut', 0)} cut, {flap_kinds.get('blackhole', 0)} blackhole), "
                 f"{min(per_cam.values(), default=0)}-{max(per_cam.values(), default=0)} per camera. Recovery = from the link "
                 "coming back to the first status poll showing the camera streaming with media flowing.")
        if recovered:
            qs = sorted(recovered)
            L.append(f"Recovery seconds: min {qs[0]:.1f}, median {median(qs):.1f}, "
                     f"90th percentile {qs[int(0.9 * (len(qs) - 1))]:.1f}, max {qs[-1]:.1f}.")
        if slow or unrecovered:
            L.append("")
            L.append("| camera | kind | down at (s) | link back at (s) | streaming again at (s) |")
            L.append("|---|---|---|---|---|")
            for f in sorted(slow + unrecovered, key=lambda f: f["start"]):
                L.append(f"| {f['path']} | {f['kind']} | {f['start']:.0f} | {f['end']:.0f} | {fmt(f['recovered_at'], '.0f', 'never')} |")
        reconnects = {path: cam.get("reconnects") for path, cam in final.items()}
        if reconnects:
            L.append("")
            L.append("Gateway-reported reconnects per camera at the end: " +
                     ", ".join(f"{path} {n}" for path, n in sorted(reconnects.items())) + ".")
        accepted = {path: proxy.accepted for path, proxy in self.proxies.items()}
        L.append(f"Connections the proxies accepted from the gateway (sessions and attempts): {sum(accepted.values())} "
                 f"(per camera {min(accepted.values())}-{max(accepted.values())}).")
        L.append("")
        L.append("## Viewers")
        L.append("")
        durations = [v.ended - v.started for v in self.viewers if v.ended and v.started]
        L.append(f"{len(self.viewers)} viewers started, {fmt(sum(durations) / 60 if durations else None)} viewer-minutes; "
                 f"{len(viewers_early)} exited by themselves before their time, {len(viewers_blind)} received no video frame.")
        lingering = [(s["t"], s["gw_viewers"]) for s in samples if s["t"] >= p.viewers_stop + 5 and s["gw_viewers"]]
        killed = sum(1 for v in self.viewers if v.how.startswith("SIGKILL"))
        L.append(f"{killed} viewers were ended by SIGKILL (no TEARDOWN). Viewer subscriptions the gateway still "
                 f"reported after all viewers had stopped: " +
                 (", ".join(f"{n} at {t:.0f} s" for t, n in lingering) if lingering else "none") + ".")
        for v in (viewers_early + [v for v in viewers_blind if v not in viewers_early])[:15]:
            L.append(f"- viewer {v.number} {v.path} over {v.transport}, {v.started:.0f}-{fmt(v.ended, '.0f')} s, "
                     f"{v.frames} frames, {v.how}, exit {v.returncode}: {' | '.join(v.tail) or '(no message)'}")
        L.append("")
        L.append("## Gateway log")
        L.append("")
        L.append("Lines per level: " + (", ".join(f"{k} {n}" for k, n in levels.most_common()) or "none") + ".")
        L.append("")
        if events:
            L.append("| level | category | event id | count | first line |")
            L.append("|---|---|---|---|---|")
            for (level, category, event), n in sorted(events.items(), key=lambda kv: (-kv[1], kv[0])):
                if level == "info" and n < 3:
                    continue
                L.append(f"| {level} | {category} | {event} | {n} | `{first_lines[(level, category, event)].replace('|', '/')}` |")
        if interesting:
            L.append("")
            L.append("Error-level lines, grouped by message (camera names and numbers aside), with a first example:")
            L.append("")
            for count, example in interesting:
                example = example.replace("`", "'")
                L.append(f"- {count} x `{example}`")
        L.append("")
        L.append("## Findings")
        L.append("")
        findings = []
        for path, cam in sorted(not_streaming.items()):
            findings.append(f"- **{path} not streaming at the end**: state `{cam.get('state')}`, bitrate {cam.get('bitrateBitsPerSecond')}, "
                            f"last error `{cam.get('lastError')}`; state history "
                            f"{', '.join(f'{t:.0f}s {st}' for t, st in self.state_history.get(path, [])[-8:])}. Last log lines:")
            findings.append("")
            findings.append("  ```")
            findings.extend("  " + line for line in self.camera_log_lines(path))
            findings.append("  ```")
        for missing in sorted(set(self.paths) - set(final)):
            findings.append(f"- **{missing} absent from the final status**")
        for crash in self.crashes:
            findings.append(f"- **gateway died at {crash['t']:.0f} s** (exit code {crash['rc']}); last log lines:")
            findings.append("")
            findings.append("  ```")
            findings.extend("  " + line for line in crash["tail"])
            findings.append("  ```")
        if rss_change is not None and not rss_ok:
            findings.append(f"- **RSS grew {rss_change * 100:.1f} %** from {level_rss / 1024:.1f} MB to {end_rss / 1024:.1f} MB (see the timeline).")
        if out_ok is False:
            findings.append(f"- **outstanding relay packets did not return**: {level_per_camera:.1f} per streaming camera "
                            f"after warm-up, {end_per_camera:.1f} at the end.")
        for f in unrecovered:
            findings.append(f"- **{f['path']} did not recover** after the {f['kind']} outage {f['start']:.0f}-{f['end']:.0f} s.")
        if self.poll_errors:
            findings.append(f"- {self.poll_errors} status polls failed (HTTP timeout {HTTP_TIMEOUT:.0f} s or error).")
        findings.extend(f"- {note}" for note in self.notes)
        L.extend(findings or ["None: every check passed."])
        L.append("")
        L.append(f"Logs of this run (not kept in the repository): `{self.workdir}` (gateway.log, camera.log, gateway.json).")
        L.append("")
        with open(out, "w", encoding="utf-8") as f:
            f.write("\n".join(L))
        log(f"report written to {out} and {csv_path}")
        ok = all_streaming and crashes == 0 and (rss_change is None or rss_ok) and out_ok is not False
        return ok


async def amain(args):
    soak = Soak(args)
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    stopped = []

    def on_signal(sig):
        stopped.append(sig)
        main.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await soak.run()
        ok = soak.write_report()
        log("soak " + ("PASSED" if ok else "FAILED (see the report)"))
        return 0 if ok else 1
    except asyncio.CancelledError:
        log(f"interrupted by signal {stopped}; cleaning up")
        return 130
    finally:
        await asyncio.shield(soak.cleanup())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30, help="run length (default 30; below 15 the phases scale down)")
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default: from the clock; printed)")
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "soak.md"), help="markdown report; the CSV goes beside it")
    parser.add_argument("--workdir", default=None, help="logs and the gateway copy (default: a new /tmp directory)")
    parser.add_argument("--no-build", action="store_true", help="use the existing bin/Release build")
    args = parser.parse_args()
    if args.minutes < 2:
        parser.error("--minutes must be at least 2")
    if args.seed is None:
        args.seed = int(time.time()) % 1_000_000
    if args.minutes == int(args.minutes):
        args.minutes = int(args.minutes)
    print(f"soak seed: {args.seed}", flush=True)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
