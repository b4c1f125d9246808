"""The Evaluate page: its form is evaluate.yaml, next to this file; the
command runs the workspace's runners/evaluate.py."""

import cmdbuilder_plugin


class EvaluatePage(cmdbuilder_plugin.Page):
    # A warning under the split field: the form and `cmdbuilder build` show
    # it, the command is still given (cmdbuilder_plugin.error blocks it).
    def validate(self, context, values):
        if values.get("split") == "test":
            yield cmdbuilder_plugin.warning("split", "The test split is for final numbers only")

    # Appended after the schema's overrides.
    def overrides(self, context, values):
        return [f"+eval.report={values.get('split', 'val')}.json"]
