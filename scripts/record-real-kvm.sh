#!/bin/sh
# record-real-kvm.sh: re-record tests/real-kvm/traces/ from tests/real-kvm/scenarios/ on a real
# Linux 6.1 KVM with shadow paging (the real-KVM tool: Debian 12's 6.1 kernel under QEMU TCG,
# kvm_amd npt=0). One boot runs every scenario; each raw kvmmmu trace is copied, trimmed to the
# lines up to vmrun's "oracle end" marker, into tests/real-kvm/traces/NAME.trace.
#
#   scripts/record-real-kvm.sh                      (from the project root)
#   REAL_KVM=/path/to/real-kvm scripts/record-real-kvm.sh
#   scripts/record-real-kvm.sh tests/real-kvm/scenarios/lib-self-map.json   (only these files)
#
# REAL_KVM_BUILD (default /tmp/rk-real) is the tool's cache: kernel, busybox, initrd, raw traces.
# QEMU uses one of the two cores for ~1-2 minutes: the script waits while another QEMU runs.
set -e
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOL=${REAL_KVM:-$ROOT/../shared/tools/real-kvm}
[ -x "$TOOL/run.sh" ] || TOOL=/work/shared/tools/real-kvm
[ -x "$TOOL/run.sh" ] || { echo "record-real-kvm: the real-KVM tool (run.sh) was not found; set REAL_KVM=/path/to/real-kvm" >&2; exit 2; }
export REAL_KVM_BUILD=${REAL_KVM_BUILD:-/tmp/rk-real}
cd "$ROOT"
if [ $# -gt 0 ]; then FILES="$*"; else FILES=$(ls tests/real-kvm/scenarios/*.json); fi
waited=0
while pgrep -f qemu-system >/dev/null; do
  [ $waited -ge 1200 ] && { echo "record-real-kvm: another QEMU has run for 20 minutes; try again later" >&2; exit 3; }
  echo "record-real-kvm: another QEMU is running; waiting (${waited}s)" >&2
  sleep 15; waited=$((waited + 15))
done
# compare.mjs runs the project's trace CLI under linux-6.1 and merged: its summary is printed,
# the test (tests/real-kvm.test.ts) is what decides.
RULES=${RULES:-linux-6.1,merged} SHADOWPAGING="$ROOT" "$TOOL/run.sh" $FILES > "$REAL_KVM_BUILD/compare.txt"
tail -n $(( $(echo $FILES | wc -w) + 2 )) "$REAL_KVM_BUILD/compare.txt"
grep -q '@@@DONE' "$REAL_KVM_BUILD/traces/boot.txt" || { echo "record-real-kvm: the L1 guest did not finish (see $REAL_KVM_BUILD/console.log)" >&2; exit 1; }
OUT=tests/real-kvm/traces
mkdir -p $OUT
for f in $FILES; do
  n=$(basename "$f" .json)
  raw="$REAL_KVM_BUILD/traces/$n.trace"
  [ -f "$raw" ] || { echo "record-real-kvm: no trace for $n" >&2; exit 1; }
  # keep the case header, vmrun's output and the trace up to "oracle end"; drop ftrace's comment header
  awk '/^# tracer|^#  |^#$/ { next } { print } /tracing_mark_write: oracle end/ { exit }' "$raw" > "$OUT/$n.trace"
done
cp "$REAL_KVM_BUILD/traces/boot.txt" $OUT/boot.txt
KERNEL=$(sed -n 's/^@@@KERNEL \([^ ]*\).*/\1/p' $OUT/boot.txt)
cat > $OUT/meta.json <<JSON
{
  "kernel": "Linux 6.1.192 (Debian 12, $KERNEL), kvm_amd npt=0 (shadow paging)",
  "host": "$(qemu-system-x86_64 --version | head -1) -accel tcg -cpu max -smp 1",
  "recorded": "$(date -u +%Y-%m-%d)"
}
JSON
echo "record-real-kvm: $(echo $FILES | wc -w) traces in $OUT (kernel $KERNEL)"
