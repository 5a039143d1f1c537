#!/usr/bin/env bash
# Pi-class profile (not a test): the packaged gateway on ONE core (taskset -c 0) with the JVM flags and environment of
# the shipped service (deploy/debian/earshot.service), or with each of the flag sets that led to them. Per profile it
# prints RSS (VmRSS of /proc/PID/status) idle with the model loaded, with one and with four live vosk-server clients
# (LibriVox in real time with 1 s pauses), the recognizer's real-time factor and the gateway's CPU per audio second,
# and with --nmt=true what the JVM itself commits (native memory tracking). See docs/deployment.md.
#   bench/pi-profile.sh                      the shipped flags only
#   bench/pi-profile.sh all --nmt=true       every step from the old flags to the shipped ones (about 15 min)
#   bench/pi-profile.sh custom --flags="-Xmx64m -XX:+UseSerialGC" --env="MALLOC_ARENA_MAX=1"
# Needs: the distribution (mvn -B -ntp -q install -DskipTests -DskipITs), the bench jar
# (mvn -B -ntp -q -Pbench -pl bench package -DskipTests -DskipITs), taskset and pocketsphinx-testdata.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-shipped}
shift || true
JAVA=${JAVA:-java}
[ -f bench/target/earshot-bench.jar ] || {
  echo "bench/pi-profile.sh: build the bench first: mvn -B -ntp -q -Pbench -pl bench package -DskipTests -DskipITs" >&2; exit 1; }
args=()
[ "$which" != custom ] && args+=("--profiles=$which")
exec "$JAVA" -Djava.util.logging.manager=org.jboss.logmanager.LogManager -jar bench/target/earshot-bench.jar pi-profile \
  "${args[@]}" --json=bench/target/bench-pi.json "$@"
