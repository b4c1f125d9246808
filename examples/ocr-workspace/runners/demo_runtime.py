"""Shared pieces of the demo runners: override parsing, config-group checks,
signals and tqdm-like progress output.

The runners stand in for the real Hydra/Lightning scripts so that Command
Builder can be tried end to end without a GPU or any third-party package.
They accept the same command-line overrides as the real ones and print the
same kind of output, but train nothing. Standard library only.
"""

import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path

WORKSPACE_ROOT = Path(__file__).resolve().parent.parent
CONFIGS_DIR = WORKSPACE_ROOT / "configs"

EXIT_USAGE = 2

# Whether a "\r" progress line is on screen without its newline yet, so a
# message printed in between starts on a fresh line.
_progress_line_open = False


class Overrides:
    """The parsed command line: every token in order, and the last value
    given for each key (quotes removed, leading `+`/`++` dropped)."""

    def __init__(self, tokens, values):
        self.tokens = tokens
        self.values = values

    def get(self, key, default=None):
        value = self.values.get(key)
        if value is None or value in ("", "null", "None"):
            return default
        return value

    def get_int(self, key, default, minimum=None):
        text = self.get(key)
        if text is None:
            return default
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            usage_error(f"{key} must be an integer, got '{text}'")
        if minimum is not None and value < minimum:
            usage_error(f"{key} must be >= {minimum}, got {value}")
        return value

    def get_float(self, key, default):
        text = self.get(key)
        if text is None:
            return default
        try:
            return float(text)
        except ValueError:
            usage_error(f"{key} must be a number, got '{text}'")

    def get_bool(self, key, default=False):
        text = self.get(key)
        if text is None:
            return default
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        usage_error(f"{key} must be true or false, got '{text}'")


def program_name():
    return Path(sys.argv[0]).name


def end_progress_line():
    global _progress_line_open
    if _progress_line_open:
        sys.stdout.write("\n")
        sys.stdout.flush()
        _progress_line_open = False


def say(message):
    end_progress_line()
    print(message, flush=True)


def warn(message):
    end_progress_line()
    print(message, file=sys.stderr, flush=True)


def fail(message, code=1):
    """Prints an error on stderr and exits with @code."""
    end_progress_line()
    print(f"Error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def usage_error(message):
    end_progress_line()
    print(f"{program_name()}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USAGE)


def _unquote(value):
    # The builder sends values that need it as key="value" (Hydra quoting);
    # Hydra hands the program the inner text.
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        quote = value[0]
        inner = value[1:-1]
        return inner.replace("\\" + quote, quote).replace("\\\\", "\\")
    return value


def parse_overrides(argv, usage):
    """Parses Hydra-style overrides: key=value, +key=value, ++key=value,
    group/name=value and ~key=value (deletion). Anything else, including a
    token without "=", is a usage error."""
    tokens = []
    values = {}
    for token in argv:
        if token in ("-h", "--help"):
            print(usage)
            sys.exit(0)
        key, separator, value = token.partition("=")
        if not separator:
            usage_error(f"invalid override '{token}': expected key=value, "
                        "+key=value or group/name=value")
        delete = key.startswith("~")
        key = key[1:] if delete else key
        plus = len(key) - len(key.lstrip("+"))
        if plus > 2:
            usage_error(f"invalid override '{token}': at most two leading '+'")
        key = key[plus:]
        if not key or key != key.strip():
            usage_error(f"invalid override '{token}': bad key '{key}'")
        tokens.append(token)
        if delete:
            values.pop(key, None)
        else:
            values[key] = _unquote(value)
    return Overrides(tokens, values)


def check_config_groups(overrides):
    """Refuses a config-group override whose option file does not exist,
    as Hydra does: a key naming a directory under configs/ is a group and
    its value must be a <value>.yaml file in that directory."""
    for key, value in overrides.values.items():
        group_dir = CONFIGS_DIR / key
        if key.startswith("/") or ".." in key.split("/") or not group_dir.is_dir():
            continue
        if (group_dir / f"{value}.yaml").is_file():
            continue
        options = sorted(p.stem for p in group_dir.glob("*.yaml"))
        end_progress_line()
        lines = [f"Could not find '{key}/{value}'", "",
                 f"Available options in '{key}':"]
        lines += [f"\t{name}" for name in options]
        lines += ["", "Set the environment variable HYDRA_FULL_ERROR=1 for a "
                  "complete stack trace."]
        print("\n".join(lines), file=sys.stderr, flush=True)
        sys.exit(1)


def checked_experiment_name(overrides, default):
    name = overrides.get("exp_name", default)
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts or not parts:
        usage_error(f"exp_name must be a relative name inside outputs/, got '{name}'")
    return name


def record_run(run_dir, overrides):
    """Writes <run_dir>/.hydra/overrides.yaml, the command-line overrides,
    as Hydra does at the start of every run (JSON strings are YAML)."""
    hydra_dir = Path(run_dir) / ".hydra"
    hydra_dir.mkdir(parents=True, exist_ok=True)
    text = "".join(f"- {json.dumps(token, ensure_ascii=False)}\n"
                   for token in overrides.tokens) or "[]\n"
    (hydra_dir / "overrides.yaml").write_text(text, encoding="utf-8")


def require_checkpoint(overrides):
    """The checkpoint_path override of test and predict: required (usage
    error without it) and an existing file (error otherwise)."""
    checkpoint = overrides.get("checkpoint_path")
    if checkpoint is None or checkpoint == "???":
        usage_error("checkpoint_path is required: "
                    "checkpoint_path=outputs/<experiment>/checkpoints/<name>.ckpt")
    if not Path(checkpoint).is_file():
        fail(f"checkpoint not found: {checkpoint} (relative to {Path.cwd()})")
    return checkpoint


def epoch_seconds():
    """Seconds one simulated epoch lasts: DEMO_EPOCH_SECONDS, default 1.0."""
    text = os.environ.get("DEMO_EPOCH_SECONDS")
    if text is None or text == "":
        return 1.0
    try:
        value = float(text)
        if value < 0 or value != value:
            raise ValueError
        return value
    except ValueError:
        warn(f"UserWarning: ignoring DEMO_EPOCH_SECONDS='{text}' "
             "(not a non-negative number); using 1.0")
        return 1.0


def install_signal_handlers():
    """SIGTERM and SIGINT stop the run with 128+signal, as a killed Python
    training job does, after saying so on stdout."""

    def stop(signum, frame):
        say(f"Received {signal.Signals(signum).name}, stopping")
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A reader that went away ends the run quietly instead of a traceback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def stable_fraction(*parts):
    """A number in [0, 1) that depends only on @parts (Python's str hash is
    randomised per process; the demo's metrics should not be)."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _bar(fraction, width=10):
    eighths = "▏▎▍▌▋▊▉"
    filled = fraction * width
    full = int(filled)
    bar = "█" * full
    if full < width:
        partial = int((filled - full) * 8)
        bar += (eighths[partial - 1] if partial else " ")
        bar += " " * (width - full - 1)
    return bar


def progress(description, total, duration, postfix=None, on_step=None):
    """Shows a tqdm-like bar over @total steps lasting @duration seconds,
    redrawn in place with "\\r" about ten times. @postfix(step) gives the text
    after the rate; @on_step(step) runs at each redraw (may raise)."""
    global _progress_line_open
    redraws = min(total, 10)
    started = time.monotonic()
    for index in range(1, redraws + 1):
        if duration > 0:
            time.sleep(duration / redraws)
        step = total * index // redraws
        if on_step is not None:
            on_step(step)
        elapsed = time.monotonic() - started
        rate = step / elapsed if elapsed > 0 else 0.0
        remaining = (total - step) / rate if rate > 0 else 0.0
        extra = f", {postfix(step)}" if postfix is not None else ""
        line = (f"{description}: {100 * step // total:3d}%|{_bar(step / total)}| "
                f"{step}/{total} [{_clock(elapsed)}<{_clock(remaining)}, "
                f"{rate:.2f}it/s{extra}]")
        sys.stdout.write("\r" + line)
        sys.stdout.flush()
        _progress_line_open = True
    end_progress_line()


def maybe_simulated_failure(overrides, where, step):
    """simulate.fail=true makes the run crash like a real one would."""
    if overrides.get_bool("simulate.fail", False):
        end_progress_line()
        _raise_simulated_failure(where, step)


def _raise_simulated_failure(where, step):
    # A couple of frames deep, so the traceback looks like a real one.
    def forward_batch(batch):
        raise RuntimeError(f"simulated failure (simulate.fail=true) in {where} "
                           f"at batch {batch}: output contains NaN")

    forward_batch(step)
