"""@ID@: a Command Builder page plugin. Its form is @ID@.yaml, next to this
file; the command runs the workspace's runner @ID@.py."""

import cmdbuilder_plugin


class @TYPE@(cmdbuilder_plugin.Page):
    pass
