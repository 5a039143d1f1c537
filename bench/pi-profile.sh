#!/usr/bin/env bash
# Pi-class profile (not a test): the packaged gateway on ONE core with a small heap, transcribing real speech
# paced like a live microphone (file source, realtime=true). Prints the decoding real-time factor
# (earshot_decode_realtime_factor: decoding time / audio time; below 1 keeps up), dropped frames, and RSS.
#   bench/pi-profile.sh [rounds]    (default 3: every LibriVox clip, 3 times: about 75 s of speech)
# Needs: a packaged gateway (mvn -B -ntp package -DskipTests), sox and pocketsphinx-testdata (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
OUT=bench/target
APP=gateway/target/quarkus-app
PORT=${PORT:-18766}
JAVA=${JAVA:-java}
mkdir -p "$OUT"
clips=(/usr/share/pocketsphinx/test/data/librivox/*.wav)
all=()
for _ in $(seq 1 "$ROUNDS"); do all+=("${clips[@]}"); done
sox "${all[@]}" "$OUT/speech.wav"
seconds=$(soxi -D "$OUT/speech.wav")
rm -f "$OUT/pi-transcripts.jsonl"

taskset -c 0 "$JAVA" -Xmx256m -Xss512k -XX:ActiveProcessorCount=1 -XX:+UseSerialGC \
  -Dquarkus.http.port=$PORT -Dearshot.runtime.decode-threads=1 \
  -Dearshot.sources.mic.type=file -Dearshot.sources.mic.path="$PWD/$OUT/speech.wav" -Dearshot.sources.mic.realtime=true \
  -Dearshot.sinks.transcripts.type=jsonl -Dearshot.sinks.transcripts.path="$PWD/$OUT/pi-transcripts.jsonl" \
  -Dearshot.pipelines.default.source=mic -Dearshot.pipelines.default.sinks=transcripts \
  -jar "$APP/quarkus-run.jar" >"$OUT/pi-profile.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/q/health/ready" || true)" = 200 ] && break
  sleep 0.1
done
echo "ready; $(printf '%.1f' "$seconds") s of speech paced in real time on CPU $(taskset -pc $pid | sed 's/.*: //')"
peak_rss=0
end=$(( $(date +%s) + ${seconds%.*} + 15 ))
while [ "$(date +%s)" -lt "$end" ]; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  grep -q '"type":"final"' "$OUT/pi-transcripts.jsonl" 2>/dev/null && \
    [ "$(curl -s "http://127.0.0.1:$PORT/api/sessions" | tr -d ' ')" = "[]" ] && break
  sleep 1
done
metrics=$(curl -s "http://127.0.0.1:$PORT/q/metrics")
rtf=$(echo "$metrics" | awk '/^earshot_decode_realtime_factor/ {print $2; exit}')
decoded=$(echo "$metrics" | awk '/^earshot_audio_decoded_seconds_total/ {print $2; exit}')
decode=$(echo "$metrics" | awk '/^earshot_decode_seconds_total/ {print $2; exit}')
dropped=$(echo "$metrics" | awk '/^earshot_frames_dropped_total/ {s += $2} END {print s + 0}')
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
finals=$(grep -c '"type":"final"' "$OUT/pi-transcripts.jsonl" || true)
echo "real-time factor (gauge): $rtf; decoding $decode s for $decoded s of audio"
echo "frames dropped: $dropped; finals: $finals"
echo "RSS: peak sampled $((peak_rss / 1024)) MiB, high-water mark $((hwm / 1024)) MiB"
