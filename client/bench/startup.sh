#!/usr/bin/env bash
# Start time of `sluice functions` against a running server (SLUICE_URL, SLUICE_KEY set), with and without the
# class-data-sharing archive, by hyperfine: mean, p95 and min wall time, and CPU time (less sensitive to a busy
# machine). Usage: client/bench/startup.sh [runs]   (docs/cli.md quotes its output)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-40}
. "$root/.mvn/jdk.sh"
sluice_pick_jdk
java="$JAVA_HOME/bin/java"
jar="$root/client/target/sluice-cli.jar"
"$root/sluice" functions >/dev/null  # builds the jar and its archive if needed
flags="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms16m -Xmx256m -XX:-UsePerfData"
out=$(mktemp)
aot=$(mktemp -u --suffix=.aot)
jsa=$(mktemp -u --suffix=.jsa)
# Both archives made by the launcher's training run: an AppCDS one (JDK 19+) and an AOT cache (JDK 25+).
"$java" -XX:ArchiveClassesAtExit="$jsa" $flags -jar "$jar" --cds-training >/dev/null 2>&1
"$java" -XX:AOTCacheOutput="$aot" $flags -jar "$jar" --cds-training >/dev/null 2>&1 || true
extra=()
[ -f "$aot" ] && extra=(-n "java + AOT cache (JDK 25+) + flags" "$java -XX:AOTCache=$aot $flags -jar $jar functions")
hyperfine -N -w 3 -r "$runs" --export-json "$out" \
  -n "launcher, as shipped" "$root/sluice functions" \
  -n "java + AppCDS archive + flags" "$java -XX:SharedArchiveFile=$jsa -Xshare:auto $flags -jar $jar functions" \
  -n "java + JDK's default CDS only + flags" "$java $flags -jar $jar functions" \
  -n "java, CDS off + flags" "$java -Xshare:off $flags -jar $jar functions" \
  -n "java, JVM defaults" "$java -jar $jar functions" "${extra[@]}" >/dev/null
python3 - "$out" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))['results']:
    t = sorted(r['times'])
    p95 = t[min(len(t) - 1, int(round(0.95 * len(t))) - 1)]
    print(f"{r['command']:40s} mean {r['mean']*1000:5.0f} ms  p95 {p95*1000:5.0f} ms  min {t[0]*1000:5.0f} ms"
          f"  cpu {1000*(r['user']+r['system']):5.0f} ms")
PY
rm -f "$out" "$aot" "$jsa"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
