#!/usr/bin/env bash
# Regenerates the demo camera's clip: 10 s of H.264 (Annex B), 640x360, 25 fps, a keyframe every 2 s,
# no B-frames (as CCTV cameras), SPS/PPS repeated before every keyframe so a viewer can start at any GOP.
set -euo pipefail
out="${1:-$(dirname "$0")/../src/StreamGateway/demo/clip.h264}"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=640x360:rate=25" -t 10 \
  -c:v libx264 -profile:v main -preset veryfast -bf 0 -pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 \
  -b:v 600k -maxrate 800k -bufsize 800k -x264-params repeat-headers=1 -bsf:v h264_mp4toannexb -f h264 "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
