"""The learning-rate schedulers of a workspace: configs/lr_scheduler/*.yaml,
listed as the option source `lr_schedulers` (docs/plugins.md)."""

import cmdbuilder_plugin


class LrSchedulersRegistry(cmdbuilder_plugin.Registry):
    def list(self, context, source_id):
        return self.yaml_dir(context, source_id, "lr_scheduler")
