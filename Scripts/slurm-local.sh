#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for trying `dendrite-train ablate --slurm`
# on a workstation and for the project's Slurm test.
#
#   Scripts/slurm-local.sh start [DIR]    start munged, slurmctld and slurmd; print SLURM_CONF
#   Scripts/slurm-local.sh stop [DIR]     stop the daemons this script started (by process id)
#   Scripts/slurm-local.sh status [DIR]   show the node and the queue
#
# DIR (default: $DENDRITES_SLURM_DIR or /tmp/dendrites-slurm) holds everything the cluster
# uses: a fresh munge key and socket, slurm.conf, the daemons' pid files, state and logs.
# Nothing under /etc is touched. Needs root and the Debian packages slurm-wlm and munge
# (`sudo apt-get install slurm-wlm munge`). Use the cluster with
#   export SLURM_CONF=DIR/slurm.conf
#
# Exit codes: 0 success; 3 cannot start here (not root, packages missing); 1 other failures.
set -euo pipefail

command="${1:-}"
dir="${2:-${DENDRITES_SLURM_DIR:-/tmp/dendrites-slurm}}"
partition="${DENDRITES_SLURM_PARTITION:-debug}"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# True while process $1 runs (a zombie, left where PID 1 does not reap, has ended).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# Stops the daemon whose pid file is $1 (if it runs) and waits up to 10 s for it to exit.
stop_daemon() {
    local pidfile="$1" name="$2" pid
    [[ -f "$pidfile" ]] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
        echo "stopped $name (pid $pid)"
    fi
    rm -f "$pidfile"
}

stop_all() {
    # Jobs still queued or running would outlive slurmd; cancel them first.
    if [[ -f "$dir/slurmctld.pid" ]] && alive "$(cat "$dir/slurmctld.pid")"; then
        SLURM_CONF="$dir/slurm.conf" scancel --quiet --user="$(id -un)" 2>/dev/null || true
        sleep 1
    fi
    stop_daemon "$dir/slurmd.pid" slurmd
    stop_daemon "$dir/slurmctld.pid" slurmctld
    stop_daemon "$dir/munged.pid" munged
}

case "$command" in
start)
    if [[ "$(id -u)" != 0 ]]; then
        echo "cannot start a local Slurm: this needs root (slurmd runs jobs as their users)" >&2; exit 3
    fi
    for tool in munged slurmctld slurmd sbatch sinfo scontrol; do
        if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1; then
            echo "cannot start a local Slurm: '$tool' is missing; install the Debian packages slurm-wlm and munge" >&2; exit 3
        fi
    done
    export PATH="$PATH:/usr/sbin:/sbin"
    if [[ -f "$dir/slurmctld.pid" ]] && alive "$(cat "$dir/slurmctld.pid")"; then
        echo "a local Slurm already runs from $dir (stop it first: $0 stop $dir)" >&2; exit 1
    fi
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    dir="$(cd "$dir" && pwd)"
    trap 'echo "starting the local Slurm failed; daemon logs are in $dir/log" >&2; stop_all' ERR

    # munge: a fresh key and a private socket, so a system munged (if any) is left alone.
    rm -f "$dir/munge.key"
    dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$dir/munge.key"
    # The daemons get no stdin/stdout/stderr of ours: a caller reading this script's output
    # to its end would otherwise wait for them to exit.
    munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" \
        --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munged.seed" \
        </dev/null >>"$dir/log/munged.out" 2>&1

    node="$(hostname -s)"
    cpus="$(nproc)"
    memory_mb=$(( $(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024 * 9 / 10 ))
    cat > "$dir/slurm.conf" <<EOF
# One-node Slurm written by Scripts/slurm-local.sh (Dendrites).
ClusterName=dendrites-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=${DENDRITES_SLURMCTLD_PORT:-6817}
SlurmdPort=${DENDRITES_SLURMD_PORT:-6818}
DefMemPerCPU=$(( memory_mb / cpus ))
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"
    slurmctld -f "$SLURM_CONF" -i </dev/null >>"$dir/log/slurmctld.out" 2>&1   # -i: ignore earlier state in $dir
    slurmd -f "$SLURM_CONF" </dev/null >>"$dir/log/slurmd.out" 2>&1

    # Ready when the node accepts jobs.
    for _ in $(seq 60); do
        state="$(sinfo --noheader --nodes="$node" --format=%T 2>/dev/null || true)"
        [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]] && break
        sleep 0.5
    done
    if [[ "$state" != idle* && "$state" != mixed* && "$state" != allocated* ]]; then
        echo "the node did not become idle (state: '${state:-unknown}')" >&2
        false
    fi
    trap - ERR
    echo "local Slurm is up: node $node, $cpus CPUs, partition $partition; files in $dir"
    echo "export SLURM_CONF=$SLURM_CONF"
    ;;
stop)
    stop_all
    ;;
status)
    export SLURM_CONF="$dir/slurm.conf"
    sinfo && squeue
    ;;
*)
    usage; exit 2
    ;;
esac
