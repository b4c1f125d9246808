#!/usr/bin/env python3
"""Simulated OCR training run (demo stand-in for the real Hydra runner).

Usage: python3 runners/train.py [key=value | +key=value | group/name=value]...

Prints a start-up banner, a tqdm-like bar per epoch and a summary line per
epoch, then writes outputs/<exp_name>/checkpoints/epoch_XX_step_YYYYYY.ckpt
(relative to the working directory, the workspace root). One epoch lasts
DEMO_EPOCH_SECONDS seconds (default 1.0); at most 10 epochs are simulated.
simulate.fail=true crashes with a traceback. SIGTERM stops it with 143.
"""

import math
import os
import sys
import time
from pathlib import Path

# Keep the workspace free of __pycache__ when the runners import their helper.
sys.dont_write_bytecode = True
import demo_runtime as rt  # noqa: E402

MAX_SIMULATED_EPOCHS = 10
TRAIN_IMAGES = 180

# Components each architecture uses when the command line does not say.
ARCHITECTURE_DEFAULTS = {
    "craft": ("resnet18", "craft_decoder", "craft_head", "craft_loss"),
    "dbnet": ("resnet18", "unet", "db_head", "db_loss"),
    "dbnetpp": ("resnet50", "dbnetpp_decoder", "dbnetpp_head", "dbnetpp_loss"),
}
OPTIMIZER_DEFAULT_LR = {"adam": 0.001, "adamw": 0.0003}


def free_checkpoint_path(directory, stem):
    # Like Lightning's ModelCheckpoint: never overwrite, add -v1, -v2, ...
    candidate = directory / f"{stem}.ckpt"
    version = 1
    while candidate.exists():
        candidate = directory / f"{stem}-v{version}.ckpt"
        version += 1
    return candidate


def main(argv):
    rt.install_signal_handlers()
    overrides = rt.parse_overrides(argv, __doc__.strip())
    rt.check_config_groups(overrides)

    exp_name = rt.checked_experiment_name(overrides, "ocr_training")
    architecture = overrides.get("model/architectures", "dbnet")
    defaults = ARCHITECTURE_DEFAULTS.get(architecture, ARCHITECTURE_DEFAULTS["dbnet"])
    encoder = overrides.get("model.encoder.model_name", defaults[0])
    decoder = overrides.get("model.component_overrides.decoder.name", defaults[1])
    head = overrides.get("model.component_overrides.head.name", defaults[2])
    loss_name = overrides.get("model.component_overrides.loss.name", defaults[3])
    optimizer = overrides.get("model/optimizers", "adam")
    learning_rate = overrides.get_float("model.optimizer.lr",
                                        OPTIMIZER_DEFAULT_LR.get(optimizer, 0.001))
    weight_decay = overrides.get_float("model.optimizer.weight_decay", 0.0001)
    batch_size = overrides.get_int(
        "dataloaders.train_dataloader.batch_size",
        overrides.get_int("data.batch_size", 4, minimum=1), minimum=1)
    max_epochs = overrides.get_int("trainer.max_epochs", 10, minimum=1)
    accumulate = overrides.get_int("trainer.accumulate_grad_batches", 1, minimum=1)
    clip = overrides.get_float("trainer.gradient_clip_val", 5.0)
    precision = overrides.get("trainer.precision", "32")
    seed = overrides.get_int("seed", 42)
    wandb = overrides.get_bool("logger.wandb.enabled", False)
    resume = overrides.get("resume")
    data = overrides.get("data", "default")
    preset = overrides.get("preset/datasets")
    overrides.get_bool("simulate.fail", False)  # refuse a malformed value up front

    epochs = min(max_epochs, MAX_SIMULATED_EPOCHS)
    seconds_per_epoch = rt.epoch_seconds()
    steps_per_epoch = math.ceil(TRAIN_IMAGES / batch_size)
    run_dir = Path("outputs") / exp_name

    if resume is not None and not Path(resume).is_file():
        rt.fail(f"checkpoint to resume from not found: {resume} "
                f"(relative to {os.getcwd()})")

    rt.say("[demo] train.py: simulated OCR training (no model is trained)")
    rt.say(f"[demo] experiment: {exp_name}  (run directory {run_dir})")
    rt.say(f"[demo] command-line overrides ({len(overrides.tokens)}):")
    for token in overrides.tokens:
        rt.say(f"[demo]   {token}")
    rt.say(f"[demo] model: {architecture} (encoder {encoder}, decoder {decoder}, "
           f"head {head}, loss {loss_name})")
    rt.say(f"[demo] optimizer: {optimizer} lr={learning_rate:g} "
           f"weight_decay={weight_decay:g}")
    data_text = f"+preset/datasets={preset}" if preset else f"data={data}"
    rt.say(f"[demo] data: {data_text}, batch_size={batch_size} "
           f"({steps_per_epoch} steps per epoch), precision={precision}, "
           f"accumulate_grad_batches={accumulate}, gradient_clip_val={clip:g}")
    rt.say(f"[demo] simulating {epochs} of {max_epochs} epochs, "
           f"{seconds_per_epoch:g} s each (DEMO_EPOCH_SECONDS)")
    if resume is not None:
        rt.say(f"Restoring states from the checkpoint path at {resume}")
    rt.say(f"Seed set to {seed}")
    rt.say("GPU available: False, used: False")
    if wandb:
        rt.say("wandb: logging offline (demo): nothing is uploaded")
    rt.warn("UserWarning: The 'train_dataloader' does not have many workers "
            "which may be a bottleneck.")

    rt.record_run(run_dir, overrides)

    started = time.monotonic()
    best_hmean = 0.0
    global_step = 0
    jitter = rt.stable_fraction(seed, architecture, encoder, decoder, batch_size)
    for epoch in range(epochs):
        start_loss = 1.6 + 0.4 * jitter
        train_loss = start_loss * math.exp(-0.28 * (epoch + 1)) + 0.05 * jitter

        def postfix(step, epoch=epoch):
            fraction = step / steps_per_epoch
            current = start_loss * math.exp(-0.28 * (epoch + fraction)) + 0.05 * jitter
            return f"train_loss={current:.3f}"

        def on_step(step, epoch=epoch):
            if epoch == min(1, epochs - 1) and step >= steps_per_epoch // 2:
                rt.maybe_simulated_failure(overrides, f"epoch {epoch}", step)

        rt.progress(f"Epoch {epoch + 1}/{epochs}", steps_per_epoch,
                    seconds_per_epoch, postfix, on_step)
        global_step += steps_per_epoch
        val_hmean = min(0.97, 0.35 + 0.5 * (1 - math.exp(-0.35 * (epoch + 1)))
                        + 0.08 * jitter)
        best_hmean = max(best_hmean, val_hmean)
        rt.say(f"Epoch {epoch + 1}/{epochs}: train_loss={train_loss:.4f} "
               f"val_hmean={val_hmean:.2f}")
        if epoch == epochs // 2 and epochs > 1:
            rt.warn(f"UserWarning: learning rate {learning_rate:g} kept constant; "
                    "scheduler is simulated in the demo")

    checkpoint_dir = run_dir / "checkpoints"
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = free_checkpoint_path(
        checkpoint_dir, f"epoch_{epochs - 1:02d}_step_{global_step:06d}")
    checkpoint.write_text(
        "demo checkpoint\n"
        f"exp_name={exp_name}\narchitecture={architecture}\nencoder={encoder}\n"
        f"decoder={decoder}\nhead={head}\nloss={loss_name}\n"
        f"epoch={epochs - 1}\nstep={global_step}\nval_hmean={best_hmean:.4f}\n",
        encoding="utf-8")
    rt.say(f"Saved checkpoint: {checkpoint}")
    rt.say(f"Training completed successfully in {time.monotonic() - started:.1f}s "
           f"(best val_hmean={best_hmean:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
