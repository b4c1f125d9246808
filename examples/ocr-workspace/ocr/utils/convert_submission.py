#!/usr/bin/env python3
"""Converts a prediction JSON into the competition's submission CSV.

Input (written by runners/predict.py):
    {"images": {"<file>": {"words": {"<id>": {"points": [[x, y], ...],
                                              "confidence": 0.9}}}}}
Output: a header `filename,polygons`, then one row per image in input order.
Within a row the polygons (words in input order) are separated by `|` and
each polygon's coordinates by spaces: `x1 y1 x2 y2 ...`.
With --include_confidence a third column `confidence` holds each polygon's
confidence, `|`-separated in the same order (empty where the JSON has none).

An existing output file is kept unless --force is given. Errors go to stderr
with exit status 1. Standard library only.
"""

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path


class ConversionError(Exception):
    pass


def format_number(value):
    # Integral coordinates stay integers; others keep Python's shortest form.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConversionError(f"coordinate {value!r} is not a number")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def polygon_text(filename, word_id, word):
    if not isinstance(word, dict) or not isinstance(word.get("points"), list):
        raise ConversionError(f"images.{filename}.words.{word_id}: missing 'points' list")
    coordinates = []
    for point in word["points"]:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ConversionError(
                f"images.{filename}.words.{word_id}.points: {point!r} is not an [x, y] pair")
        coordinates.extend(format_number(value) for value in point)
    return " ".join(coordinates)


def confidence_text(word):
    value = word.get("confidence")
    if value is None:
        return ""
    return format_number(value)


def rows_from_submission(data, include_confidence):
    if not isinstance(data, dict) or not isinstance(data.get("images"), dict):
        raise ConversionError("the JSON has no 'images' object")
    rows = []
    for filename, content in data["images"].items():
        words = content.get("words", {}) if isinstance(content, dict) else None
        if not isinstance(words, dict):
            raise ConversionError(f"images.{filename}: 'words' is not an object")
        polygons = [polygon_text(filename, word_id, word) for word_id, word in words.items()]
        row = [filename, "|".join(polygons)]
        if include_confidence:
            row.append("|".join(confidence_text(word) for word in words.values()))
        rows.append(row)
    return rows


def write_csv_atomically(output_path, header, rows):
    # Write beside the target and rename, so a failed run never leaves half a CSV.
    output_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{output_path.name}.",
                                         dir=output_path.parent)
    try:
        # mkstemp makes the file private; give the CSV the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(temporary, output_path)
    except BaseException:
        os.unlink(temporary)
        raise


def convert(json_path, output_path, include_confidence=False, force=False):
    """Writes the CSV and returns (images, polygons)."""
    json_path = Path(json_path)
    output_path = Path(output_path)
    if not json_path.is_file():
        raise ConversionError(f"input JSON file '{json_path}' does not exist")
    if output_path.exists() and not force:
        raise ConversionError(
            f"output file '{output_path}' already exists; use --force to overwrite it")
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConversionError(f"cannot read '{json_path}': {error}") from error
    rows = rows_from_submission(data, include_confidence)

    header = ["filename", "polygons"] + (["confidence"] if include_confidence else [])
    try:
        write_csv_atomically(output_path, header, rows)
    except OSError as error:
        raise ConversionError(f"cannot write '{output_path}': {error.strerror}") from error
    polygons = sum(len(row[1].split("|")) for row in rows if row[1])
    return len(rows), polygons


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Convert a prediction JSON (images.<file>.words.<id>.points) "
                    "to a submission CSV (filename,polygons).")
    parser.add_argument("-J", "--json_path", required=True,
                        help="prediction JSON, e.g. outputs/<exp>/submissions/<time>.json")
    parser.add_argument("-O", "--output_path", required=True,
                        help="CSV file to write, e.g. submission.csv")
    parser.add_argument("--include_confidence", action="store_true",
                        help="add a 'confidence' column")
    parser.add_argument("--force", action="store_true",
                        help="overwrite an existing output file")
    arguments = parser.parse_args(argv)
    try:
        images, polygons = convert(arguments.json_path, arguments.output_path,
                                   arguments.include_confidence, arguments.force)
    except ConversionError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"Converted {images} images ({polygons} polygons) to {arguments.output_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
