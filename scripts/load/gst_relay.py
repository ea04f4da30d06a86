#!/usr/bin/python3
"""GStreamer's RTSP server as the peer relay of the load test: one shared media factory per camera that pulls
rtsp://127.0.0.1:<camera-port>/camI over TCP and re-serves it at rtsp://127.0.0.1:<port>/camI.

  --mode repay        ( rtspsrc ! rtph264depay ! rtph264pay name=pay0 )   the textbook pipeline
  --mode passthrough  ( rtspsrc ! identity name=pay0 )                    RTP through untouched, when it works

Run with /usr/bin/python3 (Debian's, with gi). Prints READY <port>; stops on SIGTERM/SIGINT.
"""

import argparse
import signal

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch(url, mode):
    src = f"rtspsrc location={url} protocols=tcp latency=0"
    if mode == "passthrough":
        return f"( {src} ! application/x-rtp,media=video ! identity name=pay0 )"
    return f"( {src} ! rtph264depay ! rtph264pay name=pay0 pt=96 config-interval=-1 )"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--camera-port", type=int, required=True)
    parser.add_argument("--cameras", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("repay", "passthrough"), default="repay")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for i in range(1, args.cameras + 1):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch(f"rtsp://127.0.0.1:{args.camera_port}/cam{i}", args.mode))
        factory.set_shared(True)
        mounts.add_factory(f"/cam{i}", factory)
    server.attach(None)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda *_: (loop.quit(), GLib.SOURCE_REMOVE)[1])
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
