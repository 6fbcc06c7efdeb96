#!/usr/bin/env bash
# A real single-node Slurm (Debian's slurm-wlm and munge) runs examples/slurm/dataset.sbatch
# as a 4-task array over a generated manifest. Checks: every task's shards verify, their
# union equals a single-process run sample for sample and byte for byte, the same corrupt
# images fail, and a task cancelled mid-run and submitted again alone with --resume completes
# the same union with no sample twice. Every daemon and file it starts goes at exit.
#
# usage: slurm_array_test.sh TESSERA_BINARY SOURCE_DIR
# Exit 77 (skipped) only outside CI, when not root or Slurm is not installed; under CI=true
# anything that keeps Slurm from starting fails the test.
set -euo pipefail

tessera=$(realpath "$1")
source_dir=$(realpath "$2")
here=$source_dir/tests/cluster
sbatch_script=$source_dir/examples/slurm/dataset.sbatch
deadline_s=${TESSERA_CLUSTER_DEADLINE:-90}

skip_or_fail() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $1 (CI=true: the cluster test must run)" >&2
    exit 1
  fi
  echo "SKIP: $1" >&2
  exit 77
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[[ $(id -u) == 0 ]] || skip_or_fail "Slurm's daemons need root here (SlurmUser=root); run as root"
for tool in munged mungekey slurmctld slurmd sbatch squeue scancel scontrol; do
  command -v "$tool" >/dev/null || skip_or_fail "$tool is missing; scripts/setup.sh installs slurm-wlm and munge"
done

work=$(mktemp -d /tmp/tessera-slurm.XXXXXX)
pids=()

stop_daemon() {  # pid file
  [[ -s $1 ]] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  if [[ -s $work/slurmctld.pid ]]; then
    scancel --quiet --full "${submitted[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -z $(squeue -h 2>/dev/null) ]] && break
      sleep 0.1
    done
  fi
  stop_daemon "$work/slurmd.pid"
  stop_daemon "$work/slurmctld.pid"
  stop_daemon "$work/munge/munged.pid"
  if ((status != 0)); then
    for log in "$work"/log/*.log; do
      [[ -f $log ]] && { echo "--- $log (last lines)" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  rm -rf "$work"
  exit "$status"
}
submitted=()
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_slurm() {
  mkdir -p "$work"/{munge,state,spool,log}
  chmod 711 "$work/munge"
  mungekey --create --keyfile="$work/munge/munge.key" ||
    skip_or_fail "mungekey could not create a key"
  munged --socket="$work/munge/socket" --key-file="$work/munge/munge.key" \
    --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
    --seed-file="$work/munge/seed" --force ||
    skip_or_fail "munged did not start (see $work/log/munged.log)"
  local host
  host=$(hostname -s)
  cat >"$work/slurm.conf" <<CONF
ClusterName=tesseratest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$work/slurm.conf
  slurmctld -c -i || skip_or_fail "slurmctld did not start"
  slurmd -c || skip_or_fail "slurmd did not start"
  for _ in $(seq 100); do
    if sinfo -h -o %t 2>/dev/null | grep -qx idle; then return 0; fi
    sleep 0.2
  done
  skip_or_fail "the Slurm node did not become idle within 20 s ($(sinfo -h -o %t 2>&1))"
}

# Waits until no task of job $1 is pending or running, or fails at the deadline.
wait_for_job() {
  local end=$((SECONDS + deadline_s))
  while [[ -n $(squeue -h -j "$1" 2>/dev/null) ]]; do
    ((SECONDS < end)) || fail "job $1 still in the queue after ${deadline_s} s: $(squeue -j "$1")"
    sleep 0.3
  done
}

task_state() {  # JOBID_TASK
  scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2
}

# The images a run reported as failed, one per line, sorted: "tessera: PATH (manifest line".
failed_images() {
  grep -ohE '^tessera: [^ ]+ \(manifest line' "$@" | sed -E 's/^tessera: ([^ ]+) .*/\1/' |
    sed "s|^$work/data/||" | sort
}

submit() {  # OUT ARRAY -> job id
  (cd "$work" && MANIFEST=$work/data/manifest.jsonl OUT=$1 TASKS=4 TESSERA=$tessera \
    sbatch --parsable --array="$2" --cpus-per-task=1 "$sbatch_script" $plan)
}

plan="--tile 32 --edge clip --shard-size 200samples"
start_slurm
echo "slurm up: $(sinfo -h -o '%n %c CPUs %t')"

# 1. The dataset, and the single-process run everything is compared against.
python3 "$here/make_dataset.py" "$work/data" 40
"$tessera" manifest "$work/data/manifest.jsonl" $plan -o "$work/single/out.tar" --quiet \
  2>"$work/single.err" && fail "the single run should report the corrupt images and the bad line"
failed_images "$work/single.err" >"$work/single.failed"
diff -u <(sort "$work/data/corrupt.txt") "$work/single.failed" ||
  fail "the single run did not fail exactly the corrupt images"

job=$(submit "$work/run1/out.tar" 0-3)
submitted+=("$job")
echo "submitted array $job"
# 2. Wait, then verify every shard.
wait_for_job "$job"
"$tessera" index --verify "$work"/run1/out-s*.tar >"$work/run1.index.json" ||
  fail "tessera index --verify failed on the array's shards"
# 3. The union equals the single run, and the same images failed.
python3 "$here/compare_shards.py" "$work/single/out-*.tar" "$work/run1/out-s*.tar" ||
  fail "the array's samples differ from the single run's"
failed_images "$work"/tessera-"${job}"_*.log >"$work/run1.failed"
diff -u "$work/single.failed" "$work/run1.failed" ||
  fail "the array failed other images than the single run"
for task in 0 1 2 3; do
  state=$(task_state "${job}_$task")
  [[ $state == COMPLETED || $state == FAILED ]] || fail "task $task ended $state"
done

# 4. Task 1 (large images) cancelled mid-run, then submitted again alone with --resume.
job=$(submit "$work/run2/out.tar" 0-3)
submitted+=("$job")
end=$((SECONDS + deadline_s))
until [[ -f $work/run2/out-s0001of0004-000000.tar ]]; do
  ((SECONDS < end)) || fail "task 1 wrote no shard within ${deadline_s} s"
  sleep 0.05
done
scancel "${job}_1"
wait_for_job "$job"
state=$(task_state "${job}_1")
[[ $state == CANCELLED ]] ||
  fail "task 1 ended $state before it could be cancelled mid-run; it needs more work"
grep -q '"state": "writing"' "$work/run2/out-s0001of0004.run.json" ||
  fail "the cancelled task's run record does not say it is unfinished"
python3 "$here/compare_shards.py" "$work/single/out-*.tar" "$work/run2/out-s*.tar" \
  >/dev/null 2>&1 && fail "the cancelled run is already complete: nothing was cut short"
kept=$(ls "$work"/run2/out-s0001of0004-*.tar | wc -l)
echo "task 1 cancelled with $kept complete shards kept"

again=$(submit "$work/run2/out.tar" 1)
submitted+=("$again")
wait_for_job "$again"
state=$(task_state "${again}_1")
[[ $state == COMPLETED || $state == FAILED ]] || fail "the resubmitted task ended $state"
grep -q '"state": "complete"' "$work/run2/out-s0001of0004.run.json" ||
  fail "the resubmitted task did not complete its run record"
"$tessera" index --verify "$work"/run2/out-s*.tar >/dev/null ||
  fail "tessera index --verify failed after the resumed task"
python3 "$here/compare_shards.py" "$work/single/out-*.tar" "$work/run2/out-s*.tar" ||
  fail "after --resume the array's samples differ from the single run's"
echo "PASS: 4-task array equals the single run; a cancelled task resumed to the same union"
