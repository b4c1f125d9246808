#!/usr/bin/env python3
"""Simulated OCR prediction run (demo stand-in for the real Hydra runner).

Usage: python3 runners/predict.py checkpoint_path=<path> [key=value]...

checkpoint_path is required (exit 2 without it) and must exist. Writes
outputs/<exp_name>/submissions/<YYYYmmdd_HHMMSS>.json (relative to the working
directory) in the format ocr/utils/convert_submission.py reads:
{"images": {"<file>": {"words": {"<id>": {"points": [[x, y], ...]}}}}}
with a "confidence" per word when include_confidence=true, and without
indentation when minified_json=true. Prints the file's path.
"""

import json
import sys
import time
from datetime import datetime
from pathlib import Path

# Keep the workspace free of __pycache__ when the runners import their helper.
sys.dont_write_bytecode = True
import demo_runtime as rt  # noqa: E402

PREDICT_IMAGES = 12


def detect_words(checkpoint, image_index, include_confidence):
    """Made-up but stable text boxes: a few lines of words per receipt."""
    words = {}
    count = 3 + int(6 * rt.stable_fraction(checkpoint, image_index, "count"))
    for word_index in range(count):
        line, column = divmod(word_index, 3)
        jitter = rt.stable_fraction(checkpoint, image_index, word_index)
        left = 40 + column * 190 + int(20 * jitter)
        top = 60 + line * 70 + int(10 * jitter)
        width = 120 + int(50 * jitter)
        height = 32 + int(8 * jitter)
        word = {"points": [[left, top], [left + width, top],
                           [left + width, top + height], [left, top + height]]}
        if include_confidence:
            word["confidence"] = round(0.70 + 0.29 * jitter, 4)
        words[f"{word_index + 1:04d}"] = word
    return words


def free_submission_path(directory):
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    candidate = directory / f"{stamp}.json"
    version = 1
    while candidate.exists():
        candidate = directory / f"{stamp}_{version}.json"
        version += 1
    return candidate


def main(argv):
    rt.install_signal_handlers()
    overrides = rt.parse_overrides(argv, __doc__.strip())
    rt.check_config_groups(overrides)
    exp_name = rt.checked_experiment_name(overrides, "ocr_prediction")
    checkpoint = rt.require_checkpoint(overrides)
    minified = overrides.get_bool("minified_json", False)
    include_confidence = overrides.get_bool("include_confidence", False)
    overrides.get_bool("simulate.fail", False)

    rt.say("[demo] predict.py: simulated OCR prediction (no model is run)")
    rt.say(f"[demo] experiment: {exp_name}")
    rt.say(f"[demo] command-line overrides ({len(overrides.tokens)}):")
    for token in overrides.tokens:
        rt.say(f"[demo]   {token}")
    rt.say(f"Loading checkpoint {checkpoint}")
    run_dir = Path("outputs") / exp_name
    rt.record_run(run_dir, overrides)

    started = time.monotonic()

    def on_step(step):
        if step >= PREDICT_IMAGES // 2:
            rt.maybe_simulated_failure(overrides, "predict", step)

    rt.progress("Predicting DataLoader 0", PREDICT_IMAGES, 2 * rt.epoch_seconds(),
                on_step=on_step)

    images = {f"receipt_{index + 1:04d}.jpg":
              {"words": detect_words(checkpoint, index, include_confidence)}
              for index in range(PREDICT_IMAGES)}
    submission_dir = run_dir / "submissions"
    submission_dir.mkdir(parents=True, exist_ok=True)
    path = free_submission_path(submission_dir)
    if minified:
        text = json.dumps({"images": images}, separators=(",", ":"))
    else:
        text = json.dumps({"images": images}, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    words = sum(len(image["words"]) for image in images.values())
    rt.say(f"Predicted {words} text regions in {len(images)} images")
    rt.say(f"Submission saved to: {path}")
    rt.say(f"Prediction completed successfully in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
