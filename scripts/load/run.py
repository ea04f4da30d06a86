#!/usr/bin/python3
"""End-to-end load benchmark (issue 4): the gateway side by side with GStreamer's RTSP server and ffmpeg -c copy.

    /usr/bin/python3 scripts/load/run.py --runs 10x1,50x1,20x3 --seconds 60 --relays gateway,gstreamer,ffmpeg

For every N x M run: one camera farm (`StreamGateway camera-farm`: N replay cameras of a ~2 Mbit/s, 25 fps,
2 s GOP clip in one process), then each relay in turn on the same cameras, with N*M cheap viewers
(scripts/load/viewers.py: RTSP over TCP, counting packets, sequence gaps and frames). The relay process's
CPU (utime+stime from /proc/<pid>/stat, children included) is measured over the measurement window only,
after a warm-up; peak RSS is VmHWM. Latency is measured for a sample of cameras: a reader on the camera and
a viewer on the relay in one quiet process, the same RTP payload matched on both (see viewers.py).

Results are merged into docs/benchmarks-results.json (latest per relay, N, M; tracked) and docs/benchmarks.md and the
PNG plot are regenerated from all of them.
"""

import argparse
import collections
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DLL = os.path.join(ROOT, "src/StreamGateway/bin/Release/net10.0/StreamGateway.dll")
# The same gateway compiled ahead of time (relay "gateway-aot"); published by this script when asked for.
AOT_DIR = os.path.join(ROOT, "artifacts/aot")
AOT_BIN = os.path.join(AOT_DIR, "StreamGateway")
# "-nocache": the same gateway with Gateway:Relay:GopCache false (no video held per camera).
RELAYS = ("gateway", "gateway-aot", "gateway-aot-nocache", "gateway-wks", "gateway-tuned", "gstreamer", "gstreamer-passthrough", "ffmpeg")
CLIP = os.path.join(ROOT, "artifacts/load/clip-2m.h264")
WORK = os.path.join(ROOT, "artifacts/load")
# Tracked in git, so a fresh checkout can regenerate the doc without losing earlier runs.
RESULTS = os.path.join(ROOT, "docs/benchmarks-results.json")
DOC = os.path.join(ROOT, "docs/benchmarks.md")
PLOT = os.path.join(ROOT, "docs/benchmarks-cpu-rss.png")
PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
TICK = os.sysconf("SC_CLK_TCK")
STREAMS_PER_VIEWER_PROCESS = 250
PERF_SECONDS = 0
GATEWAY_ENV = []
FPS = 25


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


# ---------------------------------------------------------------- /proc

def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError):
            pass
    return total


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def ctx_switches(pids):
    # Voluntary + involuntary context switches of every thread: a proxy for per-packet wake-ups.
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                            total += int(line.split()[1])
            except OSError:
                pass
    return total


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_ticks():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]), idle


# ---------------------------------------------------------------- processes

class Proc:
    def __init__(self, name, args, stdin=False, env=None):
        self.name = name
        self.args = args
        self.stdout_path = os.path.join(WORK, "logs", f"{name}.out")
        self.stderr_path = os.path.join(WORK, "logs", f"{name}.err")
        os.makedirs(os.path.dirname(self.stdout_path), exist_ok=True)
        self.err = open(self.stderr_path, "w")
        # Only the viewers talk over pipes (little output); everyone else writes to files, so a chatty
        # process never blocks on a full pipe nobody reads.
        self.piped = stdin
        self.out = None if stdin else open(self.stdout_path, "w")
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE if stdin else self.out, stderr=self.err, text=True, env=env,
                                  start_new_session=True)
        self.read_pos = 0

    @property
    def pid(self):
        return self.p.pid

    def readline(self, timeout):
        # stdout lines with a deadline (select on the pipe, or polling the file).
        import select
        if not self.piped:
            deadline = time.monotonic() + timeout
            while True:
                with open(self.stdout_path) as f:
                    f.seek(self.read_pos)
                    line = f.readline()
                if line.endswith("\n"):
                    self.read_pos += len(line.encode())
                    return line
                if self.p.poll() is not None:
                    return ""
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.05)
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not ready:
            return None
        return self.p.stdout.readline()

    def stop(self, timeout=15):
        if self.p.poll() is None:
            try:
                os.kill(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        self.err.close()
        if self.out is not None:
            self.out.close()


def wait_line(proc, prefix, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.readline(max(0.1, deadline - time.monotonic()))
        if line is None:
            continue
        if line == "":
            raise RuntimeError(f"{proc.name} exited (see {proc.stderr_path})")
        if line.startswith(prefix):
            return line.strip()
    raise RuntimeError(f"{proc.name}: no '{prefix}' within {timeout}s (see {proc.stderr_path})")


# ---------------------------------------------------------------- relays

def publish_aot():
    """NativeAOT build of the gateway into artifacts/aot (the ILCompiler links with clang)."""
    if shutil.which("clang") is None:
        sys.exit("gateway-aot needs clang and zlib1g-dev: apt-get install -y clang zlib1g-dev")
    sources = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(ROOT, "src"))
               if os.sep + "bin" not in d and os.sep + "obj" not in d for f in files]
    if os.path.exists(AOT_BIN) and os.path.getmtime(AOT_BIN) > max(os.path.getmtime(f) for f in sources):
        log("artifacts/aot/StreamGateway is newer than every source file: not published again")
        return
    log("publishing the gateway with NativeAOT into artifacts/aot (about 2 minutes)")
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "src/StreamGateway/StreamGateway.csproj"), "-c", "Release",
                    "-r", "linux-x64", "-p:PublishAot=true", "-o", AOT_DIR, "-v", "quiet", "-nologo"], check=True)


def gateway_config(n, camera_port, rtsp_port, http_port, gop_cache=True):
    schools = {}
    for i in range(1, n + 1):
        school = f"school-{(i - 1) // 50 + 1}"
        schools.setdefault(school, {"Name": f"Load test {school}", "District": "load", "Cameras": {}})
        schools[school]["Cameras"][f"cam{i}"] = {"Source": f"rtsp://127.0.0.1:{camera_port}/cam{i}", "Transport": "tcp"}
    return {"Gateway": {"Rtsp": {"Port": rtsp_port, "BindAddress": "127.0.0.1"},
                        "Http": {"Port": http_port, "BindAddress": "127.0.0.1"},
                        # Relaying only: the peers do not record either.
                        "Recording": {"Enabled": False},
                        "Relay": {"GopCache": gop_cache},
                        "Schools": schools}}


def gateway_path(i):
    return f"school-{(i - 1) // 50 + 1}/cam{i}"


class Relay:
    """Starts a relay; gives the pids to measure and the viewer URL of camera i."""

    def __init__(self, kind, n, camera_port):
        self.kind = kind
        self.n = n
        self.camera_port = camera_port
        self.procs = []
        self.port = free_port()
        self.command = ""

    def start(self):
        if self.kind.startswith("gateway"):
            http = free_port()
            self.http = http
            gop_cache = not self.kind.endswith("-nocache")
            path = os.path.join(WORK, f"gateway-{self.n}{'' if gop_cache else '-nocache'}.json")
            with open(path, "w") as f:
                json.dump(gateway_config(self.n, self.camera_port, self.port, http, gop_cache), f, indent=1)
            args = ([AOT_BIN] if self.kind.startswith("gateway-aot") else ["dotnet", DLL]) + ["--config", path]
            env = None
            if GATEWAY_ENV:
                args = ["env", *GATEWAY_ENV] + args
            if PERF_SECONDS:
                args = ["env", "DOTNET_PerfMapEnabled=1", "DOTNET_EnableWriteXorExecute=0"] + args
            if self.kind == "gateway-wks":
                # Workstation GC instead of the Server GC that Microsoft.NET.Sdk.Web turns on.
                args = ["env", "DOTNET_gcServer=0"] + args
            if self.kind == "gateway-tuned":
                # Also no spinning of idle thread-pool workers (the profile's sched_yield) before they sleep.
                args = ["env", "DOTNET_gcServer=0", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"] + args
            self.procs.append(Proc(f"{self.kind}-n{self.n}", args, env=env))
            if not wait_port(self.port, 60):
                raise RuntimeError("gateway did not listen")
            self.wait_gateway_streaming(90)
        elif self.kind.startswith("gstreamer"):
            mode = "passthrough" if self.kind == "gstreamer-passthrough" else "repay"
            args = [PY, os.path.join(HERE, "gst_relay.py"), "--camera-port", str(self.camera_port),
                    "--cameras", str(self.n), "--port", str(self.port), "--mode", mode]
            proc = Proc(f"{self.kind}-n{self.n}", args)
            self.procs.append(proc)
            wait_line(proc, "READY", 30)
        elif self.kind == "ffmpeg":
            args = None
            for i in range(1, self.n + 1):
                args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "warning", "-rtsp_transport", "tcp",
                        "-i", f"rtsp://127.0.0.1:{self.camera_port}/cam{i}", "-c", "copy",
                        "-progress", os.path.join(WORK, "logs", f"ffmpeg-cam{i}.progress"), "-stats_period", "0.5",
                        "-f", "null", "-"]
                self.procs.append(Proc(f"ffmpeg-cam{i}", args))
            time.sleep(3 + self.n / 50)
        self.command = " ".join(args).replace(ROOT + "/", "")

    def wait_gateway_streaming(self, timeout):
        deadline = time.monotonic() + timeout
        count = 0
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/api/v1/status", timeout=5) as r:
                    body = r.read().decode()
                count = body.count('"streaming"')
                if count >= self.n:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gateway: only {count}/{self.n} cameras streaming after {timeout}s")

    def url(self, i):
        if self.kind.startswith("gateway"):
            return f"rtsp://127.0.0.1:{self.port}/{gateway_path(i)}"
        return f"rtsp://127.0.0.1:{self.port}/cam{i}"

    def pids(self):
        out = []
        for proc in self.procs:
            out.extend(descendants(proc.pid))
        return out

    def gateway_drops(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        # Kept for a look at which viewers dropped (the last reading of the run).
        with open(os.path.join(WORK, f"metrics-{self.kind}-n{self.n}.txt"), "w") as f:
            f.write(text)
        total = 0.0
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            name = line.split("{")[0].split(" ")[0]
            # The per-camera sum only: the per-viewer family holds the same drops again.
            if name.endswith("camera_viewer_dropped_packets_total"):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                except ValueError:
                    pass
        return total

    def stop(self):
        for proc in self.procs:
            proc.stop()


def ffmpeg_frames(n):
    frames, missed = [], 0
    for i in range(1, n + 1):
        value = None
        try:
            with open(os.path.join(WORK, "logs", f"ffmpeg-cam{i}.progress")) as f:
                for line in f:
                    if line.startswith("frame="):
                        value = int(line.split("=")[1])
        except (OSError, ValueError):
            pass
        frames.append(value or 0)
        try:
            with open(os.path.join(WORK, "logs", f"ffmpeg-cam{i}.err")) as f:
                for line in f:
                    if "missed" in line:
                        digits = [int(w) for w in line.split() if w.isdigit()]
                        missed += digits[0] if digits else 1
        except OSError:
            pass
    return frames, missed


def profile(relay, name):
    # perf sampling of the gateway after the measured window (it would inflate the CPU figure inside it).
    data = os.path.join(WORK, f"perf-{name}.data")
    subprocess.run(["perf", "record", "-F", "499", "-g", "-p", str(relay.procs[0].pid), "-o", data, "--",
                    "sleep", str(PERF_SECONDS)], capture_output=True, timeout=PERF_SECONDS + 60)
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym",
                             "--percent-limit", "0.7", "-g", "none"], capture_output=True, text=True, timeout=300).stdout
    by_dso = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso",
                             "-g", "none"], capture_output=True, text=True, timeout=300).stdout
    with open(os.path.join(WORK, f"perf-{name}.txt"), "w") as f:
        f.write(by_dso + "\n\n" + report)
    log(f"  perf profile: {os.path.join(WORK, f'perf-{name}.txt')}")


# ---------------------------------------------------------------- one run

def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def sorted_difference(values, removed):
    """values without one occurrence of each of removed (a multiset difference), sorted."""
    left = collections.Counter(removed)
    out = []
    for v in sorted(values):
        if left[v] > 0:
            left[v] -= 1
        else:
            out.append(v)
    return out


def measure(kind, n, m, farm, seconds, warmup, sample):
    relay = Relay(kind, n, farm.port)
    log(f"{kind} N={n} M={m}: starting")
    relay.start()
    viewers = []
    result = {"relay": kind, "n": n, "m": m, "seconds": seconds, "command": relay.command}
    try:
        if kind != "ffmpeg":
            k = min(sample, n)
            pairs = [f"{relay.url(i)}=rtsp://127.0.0.1:{farm.port}/cam{i}" for i in range(1, k + 1)]
            # The measurement floor: two direct sessions of other cameras, timed the same way in the same process.
            pairs += [f"baseline:rtsp://127.0.0.1:{farm.port}/cam{i}" for i in range(k + 1, min(n, 2 * k) + 1)]
            bulk = [relay.url(i) for _ in range(m) for i in range(1, n + 1)]
            bulk = bulk[k:]  # the probe's relayed stream is the first viewer of cameras 1..k
            viewers.append(Proc(f"probe-{kind}-n{n}-m{m}", [PY, os.path.join(HERE, "viewers.py"), *pairs], stdin=True))
            chunks = max(1, math.ceil(len(bulk) / STREAMS_PER_VIEWER_PROCESS))
            for c in range(chunks):
                part = bulk[c::chunks]
                if part:
                    viewers.append(Proc(f"viewers-{kind}-n{n}-m{m}-{c}",
                                        [PY, os.path.join(HERE, "viewers.py"), "--spread-source",
                                         "--source-block", str(c), *part], stdin=True))
            for v in viewers:
                line = wait_line(v, "PLAYING", 60 + n * m * 0.5)
                log(f"  {v.name}: {line}")
        log(f"  warm-up {warmup}s")
        time.sleep(warmup)
        for v in viewers:
            v.p.stdin.write("start\n")
            v.p.stdin.flush()
        pids = relay.pids()
        gen_pids = descendants(farm.proc.pid) + [p for v in viewers for p in descendants(v.pid)]
        drops0 = relay.gateway_drops() if kind.startswith("gateway") else None
        t0 = time.monotonic()
        c0, g0, (m0, i0), x0 = cpu_ticks(pids), cpu_ticks(gen_pids), machine_ticks(), ctx_switches(pids)
        if kind == "ffmpeg":
            f0, _ = ffmpeg_frames(n)
        time.sleep(seconds)
        pids_end = relay.pids()
        c1, g1, (m1, i1), x1 = cpu_ticks(pids_end), cpu_ticks(gen_pids), machine_ticks(), ctx_switches(pids_end)
        t1 = time.monotonic()
        wall = t1 - t0
        result["ctx_switches_per_s"] = (x1 - x0) / wall
        result["relay_processes"] = len(pids_end)
        result["cpu_cores"] = (c1 - c0) / TICK / wall
        result["rss_peak_mb"] = sum(status_kb(p, "VmHWM") for p in pids_end) / 1024
        result["pss_mb"] = sum(pss_kb(p) for p in pids_end) / 1024
        result["generator_cpu_cores"] = (g1 - g0) / TICK / wall
        ncpu = os.cpu_count()
        result["machine_busy_cores"] = ((m1 - m0) - (i1 - i0)) / max(1, (m1 - m0)) * ncpu
        # Whatever else ran (the OS, other jobs): busy minus relay minus load generator.
        result["other_cpu_cores"] = max(0.0, result["machine_busy_cores"] - result["cpu_cores"] - result["generator_cpu_cores"])
        if kind.startswith("gateway"):
            drops1 = relay.gateway_drops()
            result["gateway_viewer_drops_total"] = drops1
            if drops0 is not None and drops1 is not None:
                result["gateway_viewer_drops_window"] = drops1 - drops0
        if kind == "ffmpeg":
            f1, missed = ffmpeg_frames(n)
            fps = [(b - a) / wall for a, b in zip(f0, f1)]
            result["viewers"] = n
            # -progress is written every 0.5 s: allow that much at each end of the window.
            result["viewers_full_rate"] = sum(1 for a, b in zip(f0, f1) if b - a >= FPS * 0.98 * wall - FPS)
            result["fps_min"] = min(fps) if fps else None
            result["lost_packets"] = missed
            result["note"] = "ffmpeg pulls only (-c copy -f null): no re-serving, no viewers; loss = 'RTP: missed' warnings"
        if PERF_SECONDS and kind.startswith("gateway"):
            profile(relay, f"{kind}-n{n}-m{m}")
        for v in viewers:
            v.p.stdin.write("stop\n")
            v.p.stdin.flush()
        streams, latency, unmatched, offsets, floor, keyframe_latency, read_latency, read_floor = [], [], 0, [], [], [], [], []
        viewer_window = wall  # the viewers' own window, longer than the CPU window when --perf ran in between
        for v in viewers:
            line = wait_line(v, "{", 60)
            data = json.loads(line)
            streams += [s for s in data["streams"] if s["role"] == "viewer"]
            viewer_window = max(viewer_window, data.get("seconds") or 0)
            latency += data["latency_ms"]
            floor += data.get("baseline_latency_ms", [])
            keyframe_latency += data.get("keyframe_latency_ms", [])
            read_latency += data.get("read_latency_ms", [])
            read_floor += data.get("baseline_read_latency_ms", [])
            unmatched += data["latency_unmatched"]
            offsets += data.get("offsets_per_camera", [])
        if kind != "ffmpeg":
            fps = [s["frames"] / viewer_window for s in streams]
            result["viewers"] = len(streams)
            result["viewers_failed"] = sum(1 for s in streams if s["error"] or s["closed"])
            result["viewers_full_rate"] = sum(1 for f in fps if f >= FPS * 0.98)
            result["fps_min"] = min(fps) if fps else None
            result["fps_median"] = statistics.median(fps) if fps else None
            result["lost_packets"] = sum(s["lost"] for s in streams)
            result["lost_packets_since_play"] = sum(s["total_lost"] for s in streams)
            result["packets_received"] = sum(s["packets"] for s in streams)
            result["mbit_per_viewer"] = sum(s["bytes"] for s in streams) * 8 / viewer_window / 1e6 / max(1, len(streams))
            result["latency_samples"] = len(latency)
            result["latency_unmatched"] = unmatched
            result["seq_ts_offsets_max"] = max(offsets) if offsets else None
            result["latency_p50_ms"] = percentile(latency, 0.50)
            result["latency_p99_ms"] = percentile(latency, 0.99)
            result["latency_max_ms"] = max(latency) if latency else None
            # Split by packet kind: keyframes are the largest bursts a relay forwards.
            result["latency_keyframe_share"] = len(keyframe_latency) / len(latency) if latency else None
            result["latency_keyframe_p99_ms"] = percentile(keyframe_latency, 0.99)
            result["latency_other_p99_ms"] = percentile(sorted_difference(latency, keyframe_latency), 0.99)
            result["latency_floor_p50_ms"] = percentile(floor, 0.50)
            result["latency_floor_p99_ms"] = percentile(floor, 0.99)
            # The same samples timed when the probe process read them (its own scheduling included).
            result["latency_at_read_p99_ms"] = percentile(read_latency, 0.99)
            result["latency_floor_at_read_p99_ms"] = percentile(read_floor, 0.99)
            errors = sorted({s["error"] for s in streams if s["error"]})
            if errors:
                result["viewer_errors"] = errors[:5]
        log(f"  {kind} N={n} M={m}: cpu {result['cpu_cores']:.3f} cores, rss {result['rss_peak_mb']:.0f} MB, "
            f"full-rate {result.get('viewers_full_rate')}/{result.get('viewers')}, lost {result.get('lost_packets')}, "
            f"p50/p99 {result.get('latency_p50_ms')}/{result.get('latency_p99_ms')} ms "
            f"(floor {result.get('latency_floor_p50_ms')}/{result.get('latency_floor_p99_ms')}; "
            f"keyframe packets {result.get('latency_keyframe_p99_ms')}, others {result.get('latency_other_p99_ms')}; "
            f"at read {result.get('latency_at_read_p99_ms')}, floor {result.get('latency_floor_at_read_p99_ms')}), machine {result['machine_busy_cores']:.2f} cores, "
            f"gateway drops {result.get('gateway_viewer_drops_window')} in the window ({result.get('gateway_viewer_drops_total')} in all)")
    finally:
        for v in viewers:
            v.stop(5)
        relay.stop()
    return result


class Farm:
    def __init__(self, n, aligned_keyframes):
        self.port = free_port()
        self.keyframes = "aligned" if aligned_keyframes else "staggered"
        extra = ["--aligned-keyframes"] if aligned_keyframes else []
        self.command = " ".join([f"dotnet {os.path.relpath(DLL, ROOT)} camera-farm --cameras {n} --port {self.port} "
                                 f"--bitrate-clip {os.path.relpath(CLIP, ROOT)}"] + extra)
        self.proc = Proc(f"farm-n{n}", ["dotnet", DLL, "camera-farm", "--cameras", str(n), "--port", str(self.port),
                                        "--bitrate-clip", CLIP] + extra)
        wait_line(self.proc, "READY", 60)


# ---------------------------------------------------------------- report

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine_info():
    model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("grep MemTotal /proc/meminfo | awk '{printf \"%.1f GiB\", $2/1048576}'")
    return {
        "nproc": os.cpu_count(), "cpu": model, "memory": mem, "kernel": platform.release(),
        "dotnet": sh("dotnet --version"), "gstreamer": sh("gst-inspect-1.0 --version | sed -n 2p"),
        "ffmpeg": sh("ffmpeg -version | head -1 | cut -d' ' -f1-3"), "python": platform.python_version(),
        "os": sh(". /etc/os-release; echo $PRETTY_NAME"),
    }


def fmt(value, digits=2):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def write_plot(results):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plot (apt-get install -y python3-matplotlib)")
        return False
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for relay in sorted({r["relay"] for r in results}):
        points = sorted((r["n"], r["cpu_cores"] * 100, r["rss_peak_mb"]) for r in results if r["relay"] == relay and r["m"] == 1)
        if not points:
            continue
        ns = [p[0] for p in points]
        ax1.plot(ns, [p[1] for p in points], marker="o", label=relay + (" (pull only)" if relay == "ffmpeg" else ""))
        ax2.plot(ns, [p[2] for p in points], marker="o", label=relay + (" (pull only)" if relay == "ffmpeg" else ""))
    ax1.set_xlabel("cameras N (M = 1 viewer each)")
    ax1.set_ylabel("CPU, % of one core")
    ax1.set_title("Relay CPU")
    ax2.set_xlabel("cameras N (M = 1 viewer each)")
    ax2.set_ylabel("peak RSS, MB (sum over processes)")
    ax2.set_title("Relay peak RSS (log scale)")
    ax2.set_yscale("log")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(PLOT, dpi=100)
    return True


def write_doc(store):
    results = list(store["results"].values())
    info = store.get("machine", machine_info())
    lines = ["# Benchmarks: end-to-end load", "",
             "Generated by `scripts/load/run.py` (do not edit by hand; rerun the script). "
             "What it does, per N×M: one camera farm (`StreamGateway camera-farm`, N replay cameras in one process, "
             "all replaying the same pre-packetized H.264 clip, 640×360, 25 fps, 2 s GOP, about 2 Mbit/s CBR, each camera "
             "from its own point of the clip so that keyframes are out of step as those of independent cameras are, "
             "unless `--aligned-keyframes`; runs before 2026-11-28 13:42 UTC had them aligned), then each "
             "relay in turn on the same cameras, each with N×M viewers (`scripts/load/viewers.py`: RTSP over TCP, "
             "interleaved, counting packets, frames and RTP sequence gaps).", "",
             "## Machine", "",
             f"- {info['nproc']} CPUs: {info['cpu']}; memory {info['memory']}; kernel {info['kernel']}; {info['os']}",
             f"- .NET SDK {info['dotnet']}; {info['gstreamer']}; {info['ffmpeg']}; Python {info['python']}",
             "- Runs (UTC, arguments of run.py): " + "; ".join(re.sub(r" --(also-running|notes)=?[^`]*", "", r) for r in store.get("runs", [])),
             f"- Also running during the runs: {store.get('also_running', 'see notes')}", "",
             "## How to rerun", "",
             "```",
             "dotnet build -c Release src/StreamGateway",
             "apt-get install -y python3-matplotlib gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 ffmpeg   # once",
             "/usr/bin/python3 scripts/load/run.py --runs 10x1,50x1,20x3,200x1 --seconds 60 --relays gateway,gstreamer,ffmpeg",
             "```", "",
             "The clip is made by `scripts/load/make-2m-clip.sh` (ffmpeg, testsrc2) under `artifacts/load/` when missing. "
             "Results accumulate in `docs/benchmarks-results.json` (latest per relay, N, M; kept in git); logs of every process in "
             "`artifacts/load/logs/`.", "",
             "## What is measured", "",
             "- **CPU**: utime+stime of the relay process (and any children) from `/proc/<pid>/stat`, over the "
             "measurement window only (after a warm-up), divided by wall time: 1.00 = one core busy.",
             "- **Peak RSS**: `VmHWM` from `/proc/<pid>/status` at the end of the window (the process's lifetime peak); "
             "for ffmpeg, the sum over its N processes (shared pages counted N times: PSS is given too).",
             "- **Viewers at full rate**: viewers that received at least 98 % of 25 frames/s (RTP marker bits) in the window.",
             "- **Lost**: RTP sequence gaps at the viewers inside the window (and since PLAY). GStreamer's `rtph264pay` "
             "numbers its own packets, so an upstream loss shows there only as missing frames, not as a sequence gap.",
             "- **Latency added by the relay**: for the first few cameras, one process reads the camera directly and "
             "through the relay; an RTP payload (slices only: parameter sets and filler repeat and are skipped) is "
             "matched on both and the arrival times compared (same clock, same process, loopback). Arrival is the kernel's "
             "receive timestamp of the read (`SO_TIMESTAMPNS`), so the probe's own delay in getting to its sockets is "
             "not charged to the relay; the row *at read* gives the same samples timed when the probe read them. "
             "The *keyframe packets* row is the p99 of the packets of IDR frames alone (the largest bursts). "
             "The *measurement floor* rows time two direct sessions of as many other cameras the same way: what a relay "
             "that added nothing would show.",
             "- **Gateway's slow-viewer drops**: the gateway renumbers each viewer's packets, so what it drops for a viewer "
             "that does not keep up (up to the next keyframe) is no sequence gap at the viewer; its own counter, read at "
             "both ends of the window, is given instead.",
             "- **ffmpeg** (the naive design, one process per camera): `ffmpeg -rtsp_transport tcp -i CAM -c copy -f null -`. "
             "ffmpeg cannot serve RTSP to viewers (its RTSP muxer only pushes to a server), so this is the *pull side "
             "only*: no re-serving, no viewers, no latency. Its figures are a lower bound of a per-camera-process relay; "
             "frames from `-progress`, loss from its 'RTP: missed' warnings.",
             "- **gateway-aot**: the same gateway code compiled ahead of time (`dotnet publish -p:PublishAot=true`, "
             "NativeAOT: no JIT, no IL, trimmed); the same configuration and the same runtime settings as `gateway`.",
             "- **gateway-aot-nocache**: gateway-aot with `Gateway:Relay:GopCache` false: no video held per camera, a new "
             "viewer starts at the camera's next keyframe.",
             "- **Load generator**: the camera farm and the viewers' own CPU is reported per run; it counts against the machine.",
             ""]
    combos = sorted({(r["n"], r["m"]) for r in results})
    relays_order = list(RELAYS)
    for n, m in combos:
        rows = {r["relay"]: r for r in results if r["n"] == n and r["m"] == m}
        relays = [k for k in relays_order if k in rows]
        peers = [k for k in relays if not k.startswith("gateway")]
        gateways = [k for k in relays if k.startswith("gateway")]
        pairs = [(g, p) for g in gateways for p in peers]
        lines += [f"## N = {n} cameras, M = {m} viewer(s) each", ""]
        header = "| figure | " + " | ".join(relays) + "".join(f" | {g}/{p}" for g, p in pairs) + " |"
        lines += [header, "|" + "---|" * (1 + len(relays) + len(pairs))]

        def row(label, key, digits=2, ratio_ok=True, scale=1.0):
            cells = []
            for k in relays:
                v = rows[k].get(key)
                cells.append(fmt(v * scale if isinstance(v, (int, float)) and scale != 1.0 else v, digits))
            rats = [ratio(rows[g].get(key), rows[p].get(key)) if ratio_ok else "" for g, p in pairs]
            lines.append(f"| {label} | " + " | ".join(cells) + "".join(f" | {r}" for r in rats) + " |")

        row("CPU, % of one core", "cpu_cores", 1, scale=100.0)
        row("peak RSS, MB", "rss_peak_mb", 1)
        row("PSS at end, MB", "pss_mb", 1)
        row("context switches per s", "ctx_switches_per_s", 0)
        row("processes", "relay_processes", 0, ratio_ok=False)
        row("viewers", "viewers", 0, ratio_ok=False)
        row("viewers at full frame rate", "viewers_full_rate", 0, ratio_ok=False)
        row("lowest viewer fps", "fps_min", 2, ratio_ok=False)
        row("packets lost in window", "lost_packets", 0, ratio_ok=False)
        row("packets lost since PLAY", "lost_packets_since_play", 0, ratio_ok=False)
        # The gateway renumbers each viewer's packets, so its own drops (a slow viewer skipped to the next
        # keyframe) are not sequence gaps at the viewer: its counter says what the viewers missed.
        row("gateway's slow-viewer drops in window", "gateway_viewer_drops_window", 0, ratio_ok=False)
        row("gateway's slow-viewer drops since start", "gateway_viewer_drops_total", 0, ratio_ok=False)
        row("Mbit/s per viewer", "mbit_per_viewer", 2, ratio_ok=False)
        row("added latency p50, ms", "latency_p50_ms", 2)
        row("added latency p99, ms", "latency_p99_ms", 2)
        row("added latency p99 of keyframe packets, ms", "latency_keyframe_p99_ms", 2)
        row("added latency p99 at read (probe's scheduling included), ms", "latency_at_read_p99_ms", 2)
        row("measurement floor p50, ms (camera vs camera)", "latency_floor_p50_ms", 2, ratio_ok=False)
        row("measurement floor p99, ms (camera vs camera)", "latency_floor_p99_ms", 2, ratio_ok=False)
        row("latency samples", "latency_samples", 0, ratio_ok=False)
        row("distinct (seq, ts) offsets camera→viewer, most per camera", "seq_ts_offsets_max", 0, ratio_ok=False)
        row("load generator CPU, % of one core", "generator_cpu_cores", 1, ratio_ok=False, scale=100.0)
        row("machine busy, cores (of %d)" % info["nproc"], "machine_busy_cores", 2, ratio_ok=False)
        row("of which other processes, cores", "other_cpu_cores", 2, ratio_ok=False)
        lines.append("")
        lines.append(f"Window {rows[relays[0]]['seconds']} s. Commands: " + "; ".join(f"`{rows[k]['command']}`" for k in relays if k != "ffmpeg")
                     + ("; ffmpeg: `" + rows["ffmpeg"]["command"] + "` (one per camera)" if "ffmpeg" in rows else ""))
        # Each column is the latest run of that relay, so one table can join runs of different sessions.
        lines.append("Measured: " + "; ".join(
            f"{k} {rows[k]['at']}" + (f" ({rows[k]['keyframes']} keyframes)" if rows[k].get("keyframes") else "")
            if rows[k].get("at") else f"{k}: an earlier run, carried over from {rows[k].get('recovered_from', 'an earlier results file')} "
            "(aligned keyframes; values as rounded there)" for k in relays) + ".")
        for k in relays:
            if rows[k].get("viewer_errors"):
                lines.append(f"- {k} viewer errors: {rows[k]['viewer_errors']}")
        lines.append("")
    if write_plot(results):
        lines += ["## CPU and RSS against N (M = 1)", "", f"![CPU and RSS against N]({os.path.basename(PLOT)})", ""]
    notes = store.get("notes")
    if notes:
        lines += ["## Notes", "", notes, ""]
    with open(DOC, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {DOC}")


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", help="N x M pairs, e.g. 10x1,50x1,20x3 (else the product of --n and --m)")
    parser.add_argument("--n", default="10,50")
    parser.add_argument("--m", default="1,3")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--relays", default="gateway,gstreamer,ffmpeg")
    parser.add_argument("--aligned-keyframes", action="store_true",
                        help="every camera's keyframe in the same frame interval (worst case); default: out of step")
    parser.add_argument("--latency-sample", type=int, default=5, help="cameras whose latency is measured")
    parser.add_argument("--also-running", default=None, help="what else ran on the machine (for the doc)")
    parser.add_argument("--notes", default=None, help="a file whose text goes into the doc's Notes section")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument("--perf", type=float, default=0, help="after each gateway window, perf-record it this many seconds")
    parser.add_argument("--gateway-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for the gateway process (runtime experiments); shown in the command")
    parser.add_argument("--doc-only", action="store_true", help="regenerate the doc from stored results")
    args = parser.parse_args()

    global PERF_SECONDS, GATEWAY_ENV
    PERF_SECONDS = args.perf
    GATEWAY_ENV = args.gateway_env
    os.makedirs(os.path.join(WORK, "logs"), exist_ok=True)
    store = {"results": {}, "runs": []}
    if os.path.exists(RESULTS) and not args.fresh:
        with open(RESULTS) as f:
            store = json.load(f)
    if args.notes:
        with open(args.notes) as f:
            store["notes"] = f.read()
    if args.also_running:
        store["also_running"] = args.also_running
    if not args.doc_only:
        if not os.path.exists(DLL):
            sys.exit(f"{DLL} missing: dotnet build -c Release src/StreamGateway")
        if not os.path.exists(CLIP):
            subprocess.run(["bash", os.path.join(HERE, "make-2m-clip.sh"), CLIP], check=True)
        if args.runs:
            combos = [tuple(int(x) for x in item.lower().split("x")) for item in args.runs.split(",")]
        else:
            combos = [(n, m) for n in map(int, args.n.split(",")) for m in map(int, args.m.split(","))]
        relays = args.relays.split(",")
        for relay in relays:
            if relay not in RELAYS:
                sys.exit(f"unknown relay {relay} (known: {', '.join(RELAYS)})")
        if any(r.startswith("gateway-aot") for r in relays):
            publish_aot()
        if "ffmpeg" in relays and shutil.which("ffmpeg") is None:
            sys.exit("ffmpeg missing")
        store["machine"] = machine_info()
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        store["runs"].append(f"{started}: `{' '.join(a for a in sys.argv[1:] if not a.startswith(('--also-running', '--notes')))}`")
        for n, m in combos:
            farm = Farm(n, args.aligned_keyframes)
            try:
                for relay in relays:
                    if relay == "ffmpeg" and m != 1:
                        continue  # ffmpeg has no viewers: M does not apply
                    try:
                        r = measure(relay, n, m, farm, args.seconds, args.warmup, args.latency_sample)
                    except Exception as e:  # noqa: BLE001 - one failed relay must not lose the others' results
                        log(f"{relay} N={n} M={m} failed: {e}")
                        r = {"relay": relay, "n": n, "m": m, "seconds": args.seconds, "command": "", "error": str(e),
                             "cpu_cores": None, "rss_peak_mb": None}
                        continue
                    r["farm_command"] = farm.command
                    r["keyframes"] = farm.keyframes
                    r["at"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
                    store["results"][f"{relay}/{n}/{m}"] = r
                    with open(RESULTS, "w") as f:
                        json.dump(store, f, indent=1)
            finally:
                farm.proc.stop()
    with open(RESULTS, "w") as f:
        json.dump(store, f, indent=1)
    write_doc(store)


if __name__ == "__main__":
    main()
