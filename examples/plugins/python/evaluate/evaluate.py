"""The Evaluate page: its form is evaluate.yaml, next to this file; the
command runs the workspace's runners/evaluate.py."""

import cmdbuilder_plugin


class EvaluatePage(cmdbuilder_plugin.Page):
    pass
