#!/usr/bin/python3
"""Checks issue 6's must-shows 1, 2 and 4 as a new user would, with ffprobe/ffmpeg and the gateway's own CLI.

    /usr/bin/python3 scripts/archive-check.py [--no-build] [--minutes 3]

1. Ten farm cameras recorded for --minutes: every segment passes `ffprobe -v error` (and a full decode with
   `ffmpeg -v error -f null -`); per camera the segments' total duration vs the wall time, PASS within 2 %.
2. kill -9 mid-segment, ~20 s down, restart: the cut segment is readable and reaches to within 1.5 s of the
   kill, recording resumes, `compliance --format json` shows a gap of the downtime (± 2 s), cause gateway down.
3. (must-show 4) The archive on a small tmpfs: the forecast, /api/v1/archive, /metrics and the compliance
   table flag the floor at risk, and no segment is deleted.

Writes docs/recording-check.md and prints a one-line summary. Only processes it started are stopped, by PID.
"""

import argparse
import datetime as dt
import glob
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "src/StreamGateway/bin/Release/net10.0")
DOC = os.path.join(ROOT, "docs/recording-check.md")
CAMERAS = 10
PROCS = []  # every process this script started, stopped by PID at the end
SCHOOLS = [("north", "school-1", 4), ("north", "school-2", 3), ("south", "school-3", 3)]


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def camera_paths():
    out, i = [], 1
    for district, school, n in SCHOOLS:
        for _ in range(n):
            out.append((district, school, f"cam{i}", i))
            i += 1
    return out


class Proc:
    """A process started by this script, output to files (never a pipe nobody reads)."""

    def __init__(self, name, args, cwd, logs):
        self.name = name
        self.out_path = os.path.join(logs, name + ".out")
        self.err_path = os.path.join(logs, name + ".err")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err,
                                  start_new_session=True)
        PROCS.append(self)

    def wait_line(self, prefix, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.out_path) as f:
                for line in f:
                    if line.startswith(prefix):
                        return line.strip()
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.name} exited (see {self.err_path})")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: no '{prefix}' within {timeout}s")

    def signal(self, sig):
        if self.p.poll() is None:
            os.kill(self.p.pid, sig)

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL after timeout; returns the seconds the graceful stop took (None if killed)."""
        started = time.monotonic()
        result = None
        if self.out.closed:
            return None
        if self.p.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
                result = time.monotonic() - started
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.p.wait(5)
        self.out.close()
        self.err.close()
        return result

    def kill9(self):
        if self.out.closed:
            return
        self.signal(signal.SIGKILL)
        self.p.wait(10)
        self.out.close()
        self.err.close()


def http_get(port, path, timeout=5):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read().decode()


class Gateway:
    def __init__(self, work, name, farm_port, archive, segment_seconds):
        self.work = work
        self.rtsp = free_port()
        self.http = free_port()
        self.config = os.path.join(work, name + ".json")
        self.archive = archive
        schools = {}
        for district, school, cam, i in camera_paths():
            schools.setdefault(school, {"Name": f"Check {school}", "District": district, "Cameras": {}})
            schools[school]["Cameras"][cam] = {"Source": f"rtsp://127.0.0.1:{farm_port}/cam{i}", "Transport": "tcp"}
        cfg = {"Gateway": {"Rtsp": {"Port": self.rtsp, "BindAddress": "127.0.0.1"},
                           "Http": {"Port": self.http, "BindAddress": "127.0.0.1"},
                           "Recording": {"Path": archive, "SegmentSeconds": segment_seconds},
                           "Schools": schools}}
        with open(self.config, "w") as f:
            json.dump(cfg, f, indent=1)
        self.name = name
        self.runs = 0
        self.proc = None

    def start(self, timeout=90):
        self.runs += 1
        self.proc = Proc(f"{self.name}-run{self.runs}", ["dotnet", os.path.join(self.work, "bin/StreamGateway.dll"),
                                                          "--config", self.config],
                         self.work, os.path.join(self.work, "logs"))
        deadline = time.monotonic() + timeout
        count = 0
        while time.monotonic() < deadline:
            if self.proc.p.poll() is not None:
                raise RuntimeError(f"gateway exited (see {self.proc.err_path})")
            try:
                count = http_get(self.http, "/api/v1/status").lower().count('"streaming"')
                if count >= CAMERAS:
                    return utcnow()
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gateway: only {count}/{CAMERAS} cameras streaming after {timeout}s")

    def cli(self, *args, timeout=120):
        r = subprocess.run(["dotnet", os.path.join(self.work, "bin/StreamGateway.dll"), *args, "--config", self.config],
                           cwd=self.work, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr


def journal_starts(archive, school, cam):
    """Exact segment starts (ms) from the recorder's journal: the file name has whole seconds only."""
    out = {}
    try:
        with open(os.path.join(archive, school, cam, "recording-events.jsonl")) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if e.get("event") == "segment-start" and "file" in e:
                    out[os.path.basename(e["file"])] = dt.datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
    except OSError:
        pass
    return out


def segments(archive, school, cam):
    out = []
    for path in sorted(glob.glob(os.path.join(archive, school, cam, "*", "*.mp4"))):
        day = os.path.basename(os.path.dirname(path))
        name = os.path.basename(path)[:-4]
        start = dt.datetime.strptime(f"{day} {name}", "%Y-%m-%d %H-%M-%S").replace(tzinfo=dt.timezone.utc)
        out.append((start, path))
    return out


def probe(path, decode=False):
    """(stderr of ffprobe -v error, format duration, video stream duration, stderr of a full decode)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,duration",
                        "-of", "json", path], capture_output=True, text=True, timeout=60)
    fmt_d = video_d = None
    try:
        info = json.loads(r.stdout)
        fmt_d = float(info.get("format", {}).get("duration", "nan"))
        for s in info.get("streams", []):
            if s.get("codec_type") == "video" and "duration" in s:
                video_d = float(s["duration"])
    except (ValueError, TypeError):
        pass
    decode_err = ""
    if decode:
        d = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"],
                           capture_output=True, text=True, timeout=120)
        decode_err = d.stderr.strip() + ("" if d.returncode == 0 else f" (exit {d.returncode})")
    return r.stderr.strip(), fmt_d, video_d, decode_err


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def lower_keys(o):
    if isinstance(o, dict):
        return {k.lower(): lower_keys(v) for k, v in o.items()}
    if isinstance(o, list):
        return [lower_keys(v) for v in o]
    return o


# ---------------------------------------------------------------- must-show 1

def must_show_1(work, farm_port, minutes):
    archive = os.path.join(work, "archive-1")
    gw = Gateway(work, "gw1", farm_port, archive, 60)
    started = gw.start()
    log(f"must-show 1: {CAMERAS} cameras streaming at {iso(started)}; recording {minutes} min")
    time.sleep(minutes * 60)  # the measurement itself: wall time to record, not a synchronisation
    stop_at = utcnow()
    stop_seconds = gw.proc.stop(30)
    log(f"must-show 1: SIGTERM at {iso(stop_at)}, exited in {stop_seconds}")
    rows, all_ok = [], True
    for _, school, cam, _ in camera_paths():
        segs = segments(archive, school, cam)
        errors, total_fmt, total_video, decode_errors = [], 0.0, 0.0, []
        for start, path in segs:
            err, fd, vd, derr = probe(path, decode=True)
            if err:
                errors.append(f"{os.path.basename(path)}: {err[:200]}")
            if derr:
                decode_errors.append(f"{os.path.basename(path)}: {derr[:200]}")
            total_fmt += fd or 0.0
            total_video += vd or 0.0
        first = segs[0][0] if segs else None
        exact = journal_starts(archive, school, cam).get(os.path.basename(segs[0][1])) if segs else None
        wall = (stop_at - (exact or first)).total_seconds() if first else 0.0
        diff = 100.0 * (total_video - wall) / wall if wall else float("nan")
        ok = bool(segs) and not errors and not decode_errors and abs(diff) <= 2.0
        all_ok &= ok
        rows.append({"camera": f"{school}/{cam}", "segments": len(segs), "first": iso(exact or first) if first else "-",
                     "exact": exact is not None,
                     "wall": wall, "video": total_video, "format": total_fmt, "diff": diff,
                     "ffprobe_errors": errors, "decode_errors": decode_errors, "ok": ok})
        log(f"  {school}/{cam}: {len(segs)} segments, video {total_video:.2f} s, wall {wall:.2f} s, {diff:+.2f} %")
    return {"ok": all_ok, "rows": rows, "started": iso(started), "stop": iso(stop_at), "stop_seconds": stop_seconds,
            "config": gw.config, "archive": archive}


# ---------------------------------------------------------------- must-show 2

def must_show_2(work, farm_port, seg_seconds=60):
    archive = os.path.join(work, "archive-2")
    gw = Gateway(work, "gw2", farm_port, archive, seg_seconds)
    gw.start()
    time.sleep(40)  # record ~40 s
    # Kill mid-segment: wait (bounded by one segment length) until the UTC second is a third into a segment.
    deadline = time.monotonic() + seg_seconds + 2
    while time.monotonic() < deadline and not (seg_seconds // 3 <= utcnow().second % seg_seconds <= 2 * seg_seconds // 3):
        time.sleep(0.2)
    kill_at = utcnow()
    gw.proc.kill9()
    log(f"must-show 2: kill -9 at {iso(kill_at)}")
    before = {(s, c): segments(archive, s, c) for _, s, c, _ in camera_paths()}
    time.sleep(20)  # the downtime being measured
    restart_at = gw.start()
    log(f"must-show 2: restarted, streaming at {iso(restart_at)}")
    time.sleep(40)
    stop_at = utcnow()
    gw.proc.stop(30)
    code, out, err = gw.cli("compliance", "--format", "json")
    report = lower_keys(json.loads(out)) if code == 0 else {}
    cams = {}
    for school in report.get("schools", []):
        for c in school.get("cameras", []):
            cams[(c["school"], c["camera"])] = c
    rows, all_ok = [], True
    for _, school, cam, _ in camera_paths():
        segs_before = before[(school, cam)]
        segs_after = segments(archive, school, cam)
        row = {"camera": f"{school}/{cam}", "ok": False}
        rows.append(row)
        if not segs_before:
            row["note"] = "no segment before the kill"
            all_ok = False
            continue
        cut_start, cut_path = segs_before[-1]
        err_text, fd, vd, derr = probe(cut_path, decode=True)
        starts = journal_starts(archive, school, cam)
        cut_start = starts.get(os.path.basename(cut_path), cut_start)
        cut_end = cut_start + dt.timedelta(seconds=vd or 0.0)
        short_of_kill = (kill_at - cut_end).total_seconds()
        mtime = dt.datetime.fromtimestamp(os.stat(cut_path).st_mtime, dt.timezone.utc)
        new = [starts.get(os.path.basename(p), s) for s, p in segs_after if s > kill_at]
        first_new = new[0] if new else None
        downtime = (first_new - kill_at).total_seconds() if first_new else None
        gap = None
        for g in cams.get((school, cam), {}).get("gaps", []):
            g_from, g_to = parse_time(g["from"]), parse_time(g["to"])
            if g_from <= kill_at + dt.timedelta(seconds=2) and g_to >= kill_at:
                gap = g
        gap_seconds = gap["seconds"] if gap else None
        cause = gap["cause"] if gap else None
        ok = (not err_text and not derr and vd is not None and -0.1 <= short_of_kill <= 1.5 and first_new is not None
              and gap is not None and abs(gap_seconds - downtime) <= 2.0 and cause in ("gateway-down", "gateway-stopped"))
        all_ok &= ok
        row.update({"cut": os.path.relpath(cut_path, archive), "cut_ffprobe": err_text or "clean",
                    "cut_decode": derr or "clean", "cut_video": vd, "cut_end": iso(cut_end),
                    "short_of_kill": short_of_kill, "mtime_before_kill": (kill_at - mtime).total_seconds(),
                    "new_segments": len(new), "first_new": iso(first_new) if first_new else "-", "downtime": downtime,
                    "gap": gap_seconds, "gap_from": gap["from"] if gap else "-", "gap_to": gap["to"] if gap else "-",
                    "cause": cause, "cause_source": gap.get("causesource") if gap else None, "ok": ok})
        log(f"  {school}/{cam}: cut {vd} s ends {short_of_kill:+.2f} s before kill; downtime {downtime} s; "
            f"gap {gap_seconds} s {cause}")
    return {"ok": all_ok, "rows": rows, "kill": iso(kill_at), "restart": iso(restart_at), "stop": iso(stop_at),
            "compliance_exit": code, "compliance_stderr": err.strip()[:500], "config": gw.config}


# ---------------------------------------------------------------- must-show 4

def metrics_lines(text):
    return [l for l in text.splitlines() if l.startswith("streamgateway_archive_")]


def must_show_4(work, farm_port, size_mb, seconds):
    mount_dir = os.path.join(work, "small-volume")
    os.makedirs(mount_dir)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", mount_dir],
                       capture_output=True, text=True, timeout=30)
    result = {"mount_cmd": f"mount -t tmpfs -o size={size_mb}m tmpfs DIR", "mount_exit": r.returncode,
              "mount_stderr": r.stderr.strip(), "ok": False}
    if r.returncode != 0:
        log(f"must-show 4: mount refused: {r.stderr.strip()}")
        result["note"] = ("mount refused in this sandbox; there is no config key for a quota (FixedVolumeMeter is "
                          "a test seam only), so must-show 4 was not measured")
        return result
    try:
        archive = os.path.join(mount_dir, "archive")
        gw = Gateway(work, "gw4", farm_port, archive, 60)
        gw.start()
        first_archive = None
        try:
            first_archive = lower_keys(json.loads(http_get(gw.http, "/api/v1/archive")))
        except (OSError, ValueError) as e:
            first_archive = {"error": str(e)}
        time.sleep(seconds)
        gw.proc.stop(30)
        files_before = sorted(glob.glob(os.path.join(archive, "*", "*", "*", "*.mp4")))
        bytes_before = sum(os.path.getsize(f) for f in files_before)
        log(f"must-show 4: {len(files_before)} segments, {bytes_before / 1e6:.1f} MB on the {size_mb} MB volume")
        # A second start: the retention pass at start now sees the measured rates (the next pass would be in an hour).
        gw.start()
        archive_status, deadline = None, time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                archive_status = lower_keys(json.loads(http_get(gw.http, "/api/v1/archive")))
                break
            except urllib.error.HTTPError:
                time.sleep(0.5)
            except (OSError, ValueError):
                time.sleep(0.5)
        metrics = metrics_lines(http_get(gw.http, "/metrics"))
        gw.proc.stop(30)
        code, table, err = gw.cli("compliance", "--format", "table")
        jcode, jout, _ = gw.cli("compliance", "--format", "json")
        report = lower_keys(json.loads(jout)) if jcode == 0 else {}
        missing = [f for f in files_before if not os.path.exists(f)]
        files_after = sorted(glob.glob(os.path.join(archive, "*", "*", "*", "*.mp4")))
        fc = (archive_status or {}).get("forecast", {})
        floor_status = (archive_status or {}).get("flooratrisk")
        floor_metric = next((l for l in metrics if l.startswith("streamgateway_archive_floor_at_risk")), None)
        warning_lines = [l for l in table.splitlines() if "WARNING" in l or "risk" in l.lower()]
        result.update({
            "size_mb": size_mb, "files_before": len(files_before), "files_after": len(files_after),
            "bytes_before": bytes_before, "missing": len(missing),
            "first_pass": first_archive, "status_days_fit": fc.get("daysfit"), "status_floor": floor_status,
            "status_deleted": (archive_status or {}).get("deletedsegments"),
            "status_bytes_per_day": fc.get("bytesperday"), "status_available": fc.get("availablebytes"),
            "metric_floor": floor_metric, "metrics": metrics, "table_exit": code, "table": table, "table_stderr": err,
            "table_warnings": warning_lines, "report_floor": report.get("flooratrisk"),
            "report_days": (report.get("volume") or {}).get("forecastdays"),
            "report_floor_fits": (report.get("volume") or {}).get("floorfits"),
        })
        result["ok"] = (floor_status is True and floor_metric is not None and floor_metric.endswith(" 1")
                        and report.get("flooratrisk") is True and bool(warning_lines) and not missing
                        and len(files_before) > 0 and (fc.get("daysfit") or 99) < 30)
    finally:
        for p in PROCS:
            p.stop()
        u = subprocess.run(["umount", mount_dir], capture_output=True, text=True, timeout=30)
        result["umount_exit"] = u.returncode
    return result


# ---------------------------------------------------------------- report

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def f2(v, d=2):
    return "-" if v is None else f"{v:.{d}f}"


def write_doc(res, args, started, ended):
    L = []
    L.append("# Recording check (issue 6, must-shows 1, 2 and 4)\n")
    L.append(f"Generated by `/usr/bin/python3 scripts/archive-check.py{' --no-build' if args.no_build else ''} "
             f"--minutes {args.minutes} --tmpfs-mb {args.tmpfs_mb}` from {iso(started)} to {iso(ended)}.\n")
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")
    ffv = sh("ffprobe -version | head -1 | cut -d' ' -f1-3")
    L.append(f"Machine: {sh('nproc')} cores ({cpu}), shared with other engineers' builds and tests; "
             f"{sh('uname -sr')}; .NET SDK {sh('dotnet --version')}; {ffv}.\n")
    L.append(f"Cameras: `dotnet StreamGateway.dll camera-farm --cameras {CAMERAS} --port P` (demo clip, 640x360 H.264, "
             "25 fps) in one process; the gateway (Release build copied to a private dir) with 10 cameras in 3 schools "
             "in 2 districts, Rtsp/Http on free ports on 127.0.0.1, `Gateway:Recording:Path` a temp dir, "
             "`SegmentSeconds` 60. Every segment is checked with `ffprobe -v error` (must print nothing) and fully "
             "decoded with `ffmpeg -v error -i SEG -f null -` (must print nothing).\n")

    m1 = res.get("m1")
    L.append("## Must-show 1: ten cameras, three minutes\n")
    if m1 is None:
        L.append("Not run.\n")
    else:
        L.append(f"**{'PASS' if m1['ok'] else 'FAIL'}**. Streaming from {m1['started']}, SIGTERM at {m1['stop']} "
                 f"(exited in {f2(m1['stop_seconds'])} s). Wall time = SIGTERM − the first segment's start (exact "
                 "time from the recorder's journal `segment-start`; the file name has whole seconds only); video = sum of the segments' video stream durations "
                 "(ffprobe).\n")
        L.append("| camera | segments | first segment | wall s | video s | format s | video vs wall | ffprobe | decode | verdict |")
        L.append("|---|---:|---|---:|---:|---:|---:|---|---|---|")
        for r in m1["rows"]:
            L.append(f"| {r['camera']} | {r['segments']} | {r['first']} | {r['wall']:.2f} | {r['video']:.2f} | "
                     f"{r['format']:.2f} | {r['diff']:+.2f} % | {'clean' if not r['ffprobe_errors'] else '; '.join(r['ffprobe_errors'])} | "
                     f"{'clean' if not r['decode_errors'] else '; '.join(r['decode_errors'])} | {'PASS' if r['ok'] else 'FAIL'} |")
        L.append("")

    m2 = res.get("m2")
    L.append("## Must-show 2: kill -9 mid-segment, restart\n")
    if m2 is None:
        L.append("Not run.\n")
    else:
        L.append(f"**{'PASS' if m2['ok'] else 'FAIL'}**. Fresh archive; recorded ~40 s, `kill -9` at {m2['kill']} "
                 f"(a third to two thirds into a 60 s segment), down 20 s, restarted (all streaming at {m2['restart']}), "
                 f"recorded ~40 s, SIGTERM at {m2['stop']}. Then `StreamGateway compliance --config CFG --format json` "
                 f"(exit {m2['compliance_exit']}).\n")
        L.append("- cut end = the cut segment's name + its ffprobe video duration; *short of kill* = kill − cut end "
                 "(PASS within 1.5 s); the start is the journal's `segment-start` time (ms), the file name has whole "
                 "seconds only. *last write* = kill − the file's mtime.")
        L.append("- downtime = first new segment's start (journal) − kill; the report's gap is the one covering the kill "
                 "(PASS when within ± 2 s of the downtime and its cause is `gateway-stopped`/`gateway-down`).\n")
        L.append("| camera | cut segment | ffprobe / decode | cut video s | short of kill s | last write before kill s | new segments | downtime s | report gap s | gap − downtime s | cause (source) | verdict |")
        L.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for r in m2["rows"]:
            if "cut" not in r:
                L.append(f"| {r['camera']} | {r.get('note', '-')} | | | | | | | | | | FAIL |")
                continue
            delta = (r["gap"] - r["downtime"]) if r["gap"] is not None and r["downtime"] is not None else None
            L.append(f"| {r['camera']} | {r['cut']} | {r['cut_ffprobe']} / {r['cut_decode']} | {f2(r['cut_video'])} | "
                     f"{f2(r['short_of_kill'])} | {f2(r['mtime_before_kill'])} | {r['new_segments']} | {f2(r['downtime'])} | "
                     f"{f2(r['gap'])} | {f2(delta)} | {r['cause']} ({r['cause_source']}) | {'PASS' if r['ok'] else 'FAIL'} |")
        L.append("")

    m4 = res.get("m4")
    L.append("## Must-show 4: a volume too small for 30 days\n")
    if m4 is None:
        L.append("Not run.\n")
    elif "files_before" not in m4:
        L.append(f"**NOT MEASURED**. `{m4['mount_cmd']}` exit {m4['mount_exit']}: {m4['mount_stderr']}. {m4.get('note', '')}\n")
    else:
        L.append(f"**{'PASS' if m4['ok'] else 'FAIL'}**. `{m4['mount_cmd']}` (exit {m4['mount_exit']}), archive on it, "
                 f"gateway run ~{args.small_seconds} s, stopped, started again (the retention pass runs at start and "
                 "hourly, so the second start is the first pass that sees measured rates), `/api/v1/archive` and "
                 "`/metrics` read, stopped, then `compliance --format table` and `--format json`.\n")
        fp = m4.get("first_pass") or {}
        L.append("| check | measured |")
        L.append("|---|---|")
        L.append(f"| segments on the volume before the second start | {m4['files_before']} ({m4['bytes_before'] / 1e6:.1f} MB of {m4['size_mb']} MB) |")
        L.append(f"| first run's start pass (no segments yet) | floorAtRisk {fp.get('flooratrisk')}, daysFit {(fp.get('forecast') or {}).get('daysfit')} |")
        L.append(f"| `/api/v1/archive` forecast daysFit | {m4['status_days_fit']} |")
        L.append(f"| `/api/v1/archive` floorAtRisk | {m4['status_floor']} |")
        L.append(f"| `/api/v1/archive` bytesPerDay / availableBytes | {m4['status_bytes_per_day']} / {m4['status_available']} |")
        L.append(f"| `/api/v1/archive` deletedSegments | {m4['status_deleted']} |")
        L.append(f"| `/metrics` | `{m4['metric_floor']}` |")
        L.append(f"| report (json) floorAtRisk / volume.forecastDays / floorFits | {m4['report_floor']} / {m4['report_days']} / {m4['report_floor_fits']} |")
        L.append(f"| report (table) warning lines | {'; '.join('`' + w.strip() + '`' for w in m4['table_warnings']) or 'none'} |")
        L.append(f"| segments missing after the retention pass | {m4['missing']} (after: {m4['files_after']}) |")
        L.append(f"| umount exit | {m4.get('umount_exit')} |")
        L.append("\nAll archive metrics:\n\n```\n" + "\n".join(m4["metrics"]) + "\n```\n")
        L.append("Compliance table (first 30 lines):\n\n```\n" + "\n".join(m4["table"].splitlines()[:30]) + "\n```\n")
    if res.get("error"):
        L.append(f"## Run error\n\nThe run stopped early: `{res['error']}`. Results above are partial.\n")
    with open(DOC, "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--tmpfs-mb", type=int, default=64)
    ap.add_argument("--small-seconds", type=int, default=60)
    ap.add_argument("--only", default="1,2,4", help="which must-shows to run, e.g. 1,4")
    args = ap.parse_args()
    started = utcnow()
    if not args.no_build:
        subprocess.run(["dotnet", "build", "-c", "Release", "src/StreamGateway"], cwd=ROOT, check=True, timeout=900)
    work = tempfile.mkdtemp(prefix="archive-check-")
    os.makedirs(os.path.join(work, "logs"))
    shutil.copytree(BIN, os.path.join(work, "bin"))
    log(f"work dir {work}")
    farm_port = free_port()
    farm = Proc("farm", ["dotnet", os.path.join(work, "bin/StreamGateway.dll"), "camera-farm", "--cameras", str(CAMERAS),
                         "--port", str(farm_port)], work, os.path.join(work, "logs"))
    res = {}
    only = set(args.only.split(","))
    try:
        farm.wait_line("READY", 60)
        if "1" in only:
            res["m1"] = must_show_1(work, farm_port, args.minutes)
            write_doc(res, args, started, utcnow())
        if "2" in only:
            res["m2"] = must_show_2(work, farm_port)
            write_doc(res, args, started, utcnow())
        if "4" in only:
            res["m4"] = must_show_4(work, farm_port, args.tmpfs_mb, args.small_seconds)
    except Exception as e:  # the doc still records what was measured
        res["error"] = f"{type(e).__name__}: {e}"
        log("error:", res["error"])
        raise
    finally:
        for p in PROCS:
            p.stop()
        write_doc(res, args, started, utcnow())
        verdict = lambda k: "-" if k not in res else ("PASS" if res[k].get("ok") else ("NOT MEASURED" if k == "m4" and "files_before" not in res[k] else "FAIL"))
        print(f"archive-check: must-show 1 {verdict('m1')}, must-show 2 {verdict('m2')}, must-show 4 {verdict('m4')}"
              f" (logs and archives in {work}; doc {os.path.relpath(DOC, ROOT)})")


if __name__ == "__main__":
    main()
