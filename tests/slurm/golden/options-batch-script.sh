#!/bin/bash
#SBATCH --job-name="my run"
#SBATCH --partition=gpu
#SBATCH --nodes=1
#SBATCH --gpus=a100:2
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=1-00:00:00
#SBATCH --account=vision-lab
#SBATCH --qos=high
#SBATCH --output="/shared/lab 100%%/.cmdbuilder/runs/20261130-120000-train-abcd/stdout.log"
#SBATCH --error="/shared/lab 100%%/.cmdbuilder/runs/20261130-120000-train-abcd/stderr.log"
#SBATCH --exclusive
#SBATCH --mail-type=END

# Written by cmdbuilder for run 20261130-120000-train-abcd (docs/slurm.md).
# The exit code and the end time are written next to the logs, so the run
# is recorded from its directory even when Slurm has forgotten the job.
cmdb_run_dir='/shared/lab 100%/.cmdbuilder/runs/20261130-120000-train-abcd'
cmdb_now () { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
cmdb_record () { printf '%s\n' "$2" >"$cmdb_run_dir/$1.tmp" && mv -f "$cmdb_run_dir/$1.tmp" "$cmdb_run_dir/$1"; }
trap 'cmdb_record slurm-exit "$? $(cmdb_now)"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
cmdb_record slurm-started "$(cmdb_now)"
cd '/shared/lab 100%' || exit 1
python3 runners/train.py 'exp_name=my run' trainer.max_epochs=2 'model.note=it'\''s'
