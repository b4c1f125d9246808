#!/bin/bash
#SBATCH --job-name="golden run"
#SBATCH --partition=debug
#SBATCH --nodes=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=100M
#SBATCH --time=0:10:00
#SBATCH --output=@RUN_DIR@/stdout.log
#SBATCH --error=@RUN_DIR@/stderr.log
#SBATCH --comment=cmdbuilder-golden
#SBATCH --open-mode=append

# Written by cmdbuilder for run @RUN_ID@ (docs/slurm.md).
# The exit code and the end time are written next to the logs, so the run
# is recorded from its directory even when Slurm has forgotten the job.
cmdb_run_dir=@RUN_DIR@
cmdb_now () { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
cmdb_record () { printf '%s\n' "$2" >"$cmdb_run_dir/$1.tmp" && mv -f "$cmdb_run_dir/$1.tmp" "$cmdb_run_dir/$1"; }
trap 'cmdb_record slurm-exit "$? $(cmdb_now)"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
cmdb_record slurm-started "$(cmdb_now)"
cd @WORKSPACE@ || exit 1
python3 @WORKSPACE@/runners/train.py 'exp_name="golden run-dbnet-unet-resnet18"' logger.wandb.enabled=false model/architectures=dbnet model.encoder.model_name=resnet18 model.component_overrides.decoder.name=unet model.component_overrides.head.name=db_head model.component_overrides.loss.name=db_loss model/optimizers=adam model.optimizer.lr=0.001 model.optimizer.weight_decay=0.0001 dataloaders.train_dataloader.batch_size=4 dataloaders.val_dataloader.batch_size=4 trainer.max_epochs=1 trainer.accumulate_grad_batches=1 trainer.gradient_clip_val=5.0 trainer.precision=32 seed=42 data=default
