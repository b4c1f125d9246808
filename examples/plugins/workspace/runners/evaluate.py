"""Stand-in runner: prints the overrides it was given."""
import sys

print(" ".join(sys.argv[1:]))
