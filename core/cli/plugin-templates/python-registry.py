"""@ID@: a Command Builder registry plugin providing the option source
models.@ID@ (the stems of configs/model/@ID@/*.yaml)."""

import cmdbuilder_plugin


class @TYPE@(cmdbuilder_plugin.Registry):
    def list(self, context, source_id):
        # An exception raised here becomes the field's error in the form.
        return self.yaml_dir(context, source_id, "model/@ID@")
