#!/usr/bin/env bash
# Makes the browser suite's test videos: a running clock (mm:ss.cc) on a test pattern with a quiet tone,
# as WebM (VP9/Opus) and MP4 (H.264/AAC, moov atom first so playback starts before the download ends).
#   make-videos.sh [output folder] [seconds]     defaults: tests/browser/videos, 20
set -euo pipefail

out="${1:-$(dirname "$0")/videos}"
seconds="${2:-20}"
mkdir -p "$out"

font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf
# testsrc draws its own seconds counter, so the clock is visible even without the font.
video="testsrc=size=640x360:rate=30:duration=${seconds}"
if [ -f "$font" ]; then
  video="${video},drawtext=fontfile=${font}:fontsize=56:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12:x=(w-tw)/2:y=h-th-30:text='%{pts\:hms}'"
fi
audio="sine=frequency=440:sample_rate=48000:duration=${seconds},volume=0.05"

common=(-hide_banner -loglevel error -y -f lavfi -i "$video" -f lavfi -i "$audio" -shortest)

# Keyframes every second keep seeks quick and exact enough for the sync checks.
[ -s "$out/clock-${seconds}s.webm" ] || ffmpeg "${common[@]}" \
  -c:v libvpx-vp9 -pix_fmt yuv420p -b:v 300k -deadline realtime -cpu-used 8 -g 30 \
  -c:a libopus -b:a 32k "$out/clock-${seconds}s.webm"
[ -s "$out/clock-${seconds}s.mp4" ] || ffmpeg "${common[@]}" \
  -c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 30 -g 30 \
  -c:a aac -b:a 48k -movflags +faststart "$out/clock-${seconds}s.mp4"

ls -l "$out"/clock-"${seconds}"s.*
