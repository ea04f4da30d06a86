#!/usr/bin/env bash
# The load test's camera clip: the demo clip's settings (scripts/make-demo-clip.sh: testsrc2 640x360, 25 fps,
# a keyframe every 2 s, no B-frames, SPS/PPS before every keyframe) at about 2 Mbit/s, like a CCTV main stream.
# Written under artifacts/ (not committed); run.py calls this when the clip is missing.
set -euo pipefail
out="${1:-$(dirname "$0")/../../artifacts/load/clip-2m.h264}"
mkdir -p "$(dirname "$out")"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=640x360:rate=25" -t 10 \
  -c:v libx264 -profile:v main -preset veryfast -bf 0 -pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 \
  -b:v 2M -minrate 2M -maxrate 2M -bufsize 2M -x264-params repeat-headers=1:nal-hrd=cbr \
  -bsf:v h264_mp4toannexb -f h264 "$out"
echo "wrote $out ($(stat -c %s "$out") bytes, $(( $(stat -c %s "$out") * 8 / 10 / 1000 )) kbit/s over 10 s)"
