#!/usr/bin/env bash
# Start-up benchmark (not a test): the packaged gateway on Temurin 25, with and without the JDK 25 AOT cache
# (quarkus.package.jar.aot.*), alternating, in the same run. Prints time to ready (process start until
# /q/health/ready answers 200), Quarkus's "started in", and RSS when ready, with medians and ratios.
#   bench/startup-aot.sh [runs]        (default 5 runs of each)
# type=AOT: the project targets Java 17, for which Quarkus would otherwise pick AppCDS.
# Needs Temurin 25 (JDK25 or /usr/lib/jvm/temurin-25-jdk-amd64) and the Maven cache of a previous build.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
JDK25=${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
OUT=bench/target
APP=$OUT/aot-app
PORT=${PORT:-18765}
mkdir -p "$OUT"

echo "building the distribution with $JDK25 and the AOT cache (training run at build time)"
JAVA_HOME=$JDK25 mvn -B -o -ntp -q package -pl gateway -am -DskipTests \
  -Dquarkus.package.jar.aot.enabled=true -Dquarkus.package.jar.aot.type=AOT -Dquarkus.package.jar.aot.phase=build >"$OUT/build.log" 2>&1 \
  || { tail -50 "$OUT/build.log"; exit 1; }
rm -rf "$APP"
cp -r gateway/target/quarkus-app "$APP"
[ -f "$APP/app.aot" ] || { echo "no app.aot in the distribution" >&2; exit 1; }
echo "app.aot: $(du -h "$APP/app.aot" | cut -f1)"

# run <label> <java> [jvm options...]: one start, prints "label ms_to_ready started_in_s rss_kb"
run() {
  local label=$1 java=$2; shift 2
  local log="$OUT/$label.log"
  local begin end pid status rss started
  begin=$(date +%s%N)
  (cd "$APP" && exec "$java" "$@" -Dquarkus.http.port=$PORT -jar quarkus-run.jar) >"$log" 2>&1 &
  pid=$!
  status=000
  for _ in $(seq 1 600); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/q/health/ready" || true)
    [ "$status" = 200 ] && break
    sleep 0.02
  done
  end=$(date +%s%N)
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  started=$(sed -n 's/.*started in \([0-9.]*\)s.*/\1/p' "$log" | tail -1)
  kill -TERM $pid; wait $pid || true
  [ "$status" = 200 ] || { echo "$label did not become ready:"; tail -20 "$log"; exit 1; }
  echo "$label $(( (end - begin) / 1000000 )) $started $rss"
}

results=$OUT/startup-aot.txt
: >"$results"
for i in $(seq 1 "$RUNS"); do
  run plain "$JDK25/bin/java" | tee -a "$results"
  run aot "$JDK25/bin/java" -XX:AOTCache=app.aot | tee -a "$results"
done

awk '
  { ready[$1] = ready[$1] " " $2; started[$1] = started[$1] " " $3; rss[$1] = rss[$1] " " $4 }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (k in ready) { r[k] = median(ready[k]); s[k] = median(started[k]); m[k] = median(rss[k]) }
    printf "%-6s %14s %16s %12s\n", "", "ready (ms)", "started in (s)", "RSS (MiB)"
    printf "%-6s %14d %16.3f %12.0f\n", "plain", r["plain"], s["plain"], m["plain"] / 1024
    printf "%-6s %14d %16.3f %12.0f\n", "aot", r["aot"], s["aot"], m["aot"] / 1024
    printf "aot/plain: ready %.2f, started in %.2f, RSS %.2f (medians of %d runs each)\n",
      r["aot"] / r["plain"], s["aot"] / s["plain"], m["aot"] / m["plain"], NR / 2
  }' "$results"
