#!/bin/sh
# slurm-cluster.sh: a private single-node Slurm cluster on localhost, for the
# slurm tests. Everything (configuration, munge key and socket, state, spool,
# logs, pid files) lives in DIR; nothing in /etc or /var is touched.
#
#   slurm-cluster.sh start DIR [OWNER_PID]
#       starts munged, slurmctld and slurmd; prints the path of the
#       slurm.conf once the node is idle; exits non-zero with the daemons'
#       log tails when the cluster does not come up. With OWNER_PID, a
#       watcher stops the daemons when that process is gone (a test that
#       crashed before its teardown leaves no daemon behind).
#   slurm-cluster.sh stop DIR
#       stops the daemons (and the watcher) by their recorded pids
set -u

command=${1:?usage: slurm-cluster.sh start|stop DIR}
dir=${2:?usage: slurm-cluster.sh start|stop DIR}

# Kills what is left of this cluster's jobs. A job step (slurmstepd and the
# job script under $dir/spool) is its own daemon and outlives slurmd, so it
# is found by its script's path and its slurmstepd parent.
kill_job_leftovers () {
  for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" = "$$" ] && continue
    if tr '\0' ' ' < "$proc/cmdline" 2>/dev/null | grep -q -- "$dir/spool/"; then
      ppid=$(awk '/^PPid:/ { print $2 }' "$proc/status" 2>/dev/null)
      if [ -n "$ppid" ] && [ "$(cat "/proc/$ppid/comm" 2>/dev/null)" = slurmstepd ]; then
        kill -KILL "$ppid" 2>/dev/null
      fi
      kill -KILL "$pid" 2>/dev/null
    fi
  done
}

# Cancels the cluster's jobs while the controller is up, sends SIGTERM to
# each recorded daemon, waits for it, then SIGKILL; then kills leftovers.
stop_daemons () {
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.daemon-pid" ]; then
    SLURM_CONF="$dir/slurm.conf" timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null
    sleep 0.5
  fi
  for name in watcher slurmd slurmctld munged; do
    pid_file="$dir/$name.daemon-pid"
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if kill -TERM "$pid" 2>/dev/null; then
      tries=0
      while kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do
        sleep 0.1
        tries=$((tries + 1))
      done
      kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$pid_file"
  done
  kill_job_leftovers
}

# A TCP port nobody uses (not in /proc/net/tcp*), from a range the system
# does not hand out for outgoing connections.
free_port () {
  while :; do
    port=$(( $(od -An -N2 -tu2 /dev/urandom) % 20000 + 20000 ))
    if ! grep -qi ":$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

show_logs () {
  for log in munged.log slurmctld.log slurmd.log; do
    if [ -f "$dir/$log" ]; then
      echo "--- $log (last 20 lines)" >&2
      tail -n 20 "$dir/$log" >&2
    fi
  done
}

case "$command" in
  stop)
    stop_daemons
    exit 0
    ;;
  watch)
    # Internal: waits for the owner, then stops the cluster.
    owner=${3:?}
    while kill -0 "$owner" 2>/dev/null; do sleep 1; done
    rm -f "$dir/watcher.daemon-pid"
    stop_daemons
    exit 0
    ;;
  start)
    ;;
  *)
    echo "usage: slurm-cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac

for program in munged slurmctld slurmd sinfo; do
  if ! command -v "$program" >/dev/null 2>&1; then
    echo "slurm-cluster.sh: $program is not installed (apt-get install slurm-wlm munge)" >&2
    exit 1
  fi
done

mkdir -p "$dir/state" "$dir/spool" "$dir/munge" || exit 1
chmod 700 "$dir/munge"
# A fresh key: the cluster trusts only itself.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$dir/munge/munge.key"

controller_port=$(free_port)
node_port=$(free_port)
while [ "$node_port" = "$controller_port" ]; do node_port=$(free_port); done
cpus=$(nproc)
user=$(id -un)

cat > "$dir/slurm.conf" <<CONF
ClusterName=cmdbtest
SlurmctldHost=localhost
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$controller_port
SlurmdPort=$node_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
KillWait=2
MinJobAge=300
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
: > "$dir/cgroup.conf"
export SLURM_CONF="$dir/slurm.conf"

munged -F -f --socket="$dir/munge/munge.socket.2" --key-file="$dir/munge/munge.key" \
  --log-file="$dir/munged.log" --pid-file="$dir/munge/munged.pid" \
  --seed-file="$dir/munge/munged.seed" </dev/null >>"$dir/munged.log" 2>&1 &
echo $! > "$dir/munged.daemon-pid"
tries=0
while [ ! -S "$dir/munge/munge.socket.2" ] && [ $tries -lt 100 ]; do
  sleep 0.1
  tries=$((tries + 1))
done

slurmctld -D -i </dev/null >>"$dir/slurmctld.out" 2>&1 &
echo $! > "$dir/slurmctld.daemon-pid"
slurmd -D -N localhost </dev/null >>"$dir/slurmd.out" 2>&1 &
echo $! > "$dir/slurmd.daemon-pid"

tries=0
while [ $tries -lt 300 ]; do
  state=$(sinfo -h -N -o %T 2>/dev/null)
  if [ "$state" = "idle" ]; then
    if [ -n "${3:-}" ]; then
      # Detached from our stdout, which the caller reads to its end.
      "$0" watch "$dir" "$3" </dev/null >/dev/null 2>&1 &
      echo $! > "$dir/watcher.daemon-pid"
    fi
    echo "$dir/slurm.conf"
    exit 0
  fi
  sleep 0.1
  tries=$((tries + 1))
done
echo "slurm-cluster.sh: the node did not become idle within 30 s (state: '${state:-}')" >&2
show_logs
for out in slurmctld.out slurmd.out; do
  [ -s "$dir/$out" ] && { echo "--- $out" >&2; tail -n 20 "$dir/$out" >&2; }
done
stop_daemons
exit 1
