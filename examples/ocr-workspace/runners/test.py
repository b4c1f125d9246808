#!/usr/bin/env python3
"""Simulated OCR evaluation run (demo stand-in for the real Hydra runner).

Usage: python3 runners/test.py checkpoint_path=<path> [key=value]...

checkpoint_path is required (exit 2 without it) and must exist relative to
the working directory (exit 1 otherwise). Shows a progress bar lasting twice
DEMO_EPOCH_SECONDS, then prints precision, recall and hmean, which depend
only on the checkpoint and the model overrides. SIGTERM stops it with 143.
"""

import sys
import time
from pathlib import Path

# Keep the workspace free of __pycache__ when the runners import their helper.
sys.dont_write_bytecode = True
import demo_runtime as rt  # noqa: E402

TEST_BATCHES = 10


def read_checkpoint_facts(path):
    """key=value lines that runners/train.py writes after "demo checkpoint";
    empty for other files."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        rt.fail(f"cannot read checkpoint {path}: {error.strerror}")
    if not lines or lines[0].strip() != "demo checkpoint":
        rt.warn(f"UserWarning: {path} is not a demo checkpoint; metrics are made up")
        return {}
    facts = {}
    for line in lines[1:]:
        key, separator, value = line.partition("=")
        if separator:
            facts[key.strip()] = value.strip()
    return facts


def warn_on_mismatch(facts, overrides):
    # The real runner fails to load weights into a different model; the demo
    # only warns, naming what the checkpoint was trained with.
    for key, override in (("architecture", "model/architectures"),
                          ("encoder", "model.encoder.model_name"),
                          ("decoder", "model.component_overrides.decoder.name"),
                          ("head", "model.component_overrides.head.name"),
                          ("loss", "model.component_overrides.loss.name")):
        given = overrides.get(override)
        trained = facts.get(key)
        if given is not None and trained is not None and given != trained:
            rt.warn(f"Warning: checkpoint was trained with {key} '{trained}' "
                    f"but {override}={given}")


def main(argv):
    rt.install_signal_handlers()
    overrides = rt.parse_overrides(argv, __doc__.strip())
    rt.check_config_groups(overrides)
    exp_name = rt.checked_experiment_name(overrides, "ocr_testing")
    checkpoint = rt.require_checkpoint(overrides)
    overrides.get_bool("simulate.fail", False)
    architecture = overrides.get("model/architectures", "dbnet")
    encoder = overrides.get("model.encoder.model_name", "resnet18")

    rt.say("[demo] test.py: simulated OCR evaluation (no model is run)")
    rt.say(f"[demo] experiment: {exp_name}")
    rt.say(f"[demo] command-line overrides ({len(overrides.tokens)}):")
    for token in overrides.tokens:
        rt.say(f"[demo]   {token}")
    rt.say(f"Loading checkpoint {checkpoint}")
    facts = read_checkpoint_facts(checkpoint)
    warn_on_mismatch(facts, overrides)
    rt.record_run(Path("outputs") / exp_name, overrides)

    started = time.monotonic()

    def on_step(step):
        if step >= TEST_BATCHES // 2:
            rt.maybe_simulated_failure(overrides, "test", step)

    rt.progress("Testing DataLoader 0", TEST_BATCHES, 2 * rt.epoch_seconds(),
                on_step=on_step)

    base = rt.stable_fraction(checkpoint, architecture, encoder)
    precision = 0.80 + 0.15 * base
    recall = 0.76 + 0.15 * rt.stable_fraction(checkpoint, "recall")
    hmean = 2 * precision * recall / (precision + recall)
    rule = "─" * 40
    rt.say(rule)
    rt.say(f"{'Test metric':>20}{'DataLoader 0':>20}")
    rt.say(rule)
    for name, value in (("test/hmean", hmean), ("test/precision", precision),
                        ("test/recall", recall)):
        rt.say(f"{name:>20}{value:>20.4f}")
    rt.say(rule)
    rt.say(f"Testing completed successfully in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
