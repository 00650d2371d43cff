# Sourced by ./mvnw, ./sluice and .ci/run: Sluice needs Java 21+. When JAVA_HOME (or the java on PATH) is older,
# export JAVA_HOME as the newest JDK 21+ under /usr/lib/jvm (or $SLUICE_JDK_ROOTS), so a fresh machine just works.
sluice_java_major() {
  # The JDK's release file (JAVA_VERSION="21.0.5") costs a read; asking the JVM costs a JVM start (~0.2 s), which
  # `./sluice functions` cannot afford. The JVM is asked only when there is no such file.
  _release=$(readlink -f "$1" 2>/dev/null || echo "$1")
  _release="${_release%/bin/java}/release"
  if [ -r "$_release" ]; then
    _major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$_release")
    if [ -n "$_major" ]; then echo "$_major"; return 0; fi
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1
}
sluice_pick_jdk() {
  _java="${JAVA_HOME:+$JAVA_HOME/bin/java}"
  [ -n "$_java" ] || _java=$(command -v java || true)
  if [ -n "$_java" ] && [ "$(sluice_java_major "$_java" 2>/dev/null || echo 0)" -ge 21 ] 2>/dev/null; then
    [ -n "${JAVA_HOME:-}" ] || { JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$_java")")"); export JAVA_HOME; }
    return 0
  fi
  for _jdk in $(find ${SLUICE_JDK_ROOTS:-/usr/lib/jvm} -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort -rV); do
    if [ -x "$_jdk/bin/javac" ] && [ "$(sluice_java_major "$_jdk/bin/java" 2>/dev/null || echo 0)" -ge 21 ] 2>/dev/null; then
      JAVA_HOME="$_jdk"; export JAVA_HOME; return 0
    fi
  done
  echo "sluice: no JDK 21+ found; install one or set JAVA_HOME" >&2
  return 1
}
