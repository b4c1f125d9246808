"""Base classes for Command Builder plugins written in Python.

A registry plugin is a module whose class derives from Registry and has one
method, ``list``; a page plugin derives from Page (docs/plugins.md). The
bases turn any exception raised by that method into a GLib.Error, which the
host shows where the plugin's output would have been (the field's error),
instead of a traceback on stderr and a missing list.

Import this module as a module (``import cmdbuilder_plugin``), not its
classes: libpeas takes the first class in the plugin module that implements
the extension point, and an imported base class would come first.
"""

import traceback

import gi

gi.require_version("Cmdbuilder", "1")
from gi.repository import Cmdbuilder, GLib, GObject  # noqa: E402

# The quark name Python plugin errors carry (cmdbuilder check and the server
# show the message; the domain says where it came from).
ERROR_DOMAIN = "cmdb-python-plugin-error-quark"


def as_glib_error(exception):
    """Return @exception as a GLib.Error whose message is the traceback's
    last line ("KeyError: 'lr'")."""
    if isinstance(exception, GLib.Error):
        return exception
    last_line = traceback.format_exception_only(type(exception), exception)[-1].strip()
    return GLib.Error(last_line, ERROR_DOMAIN, 0)


def _to_option_list(source_id, result):
    if isinstance(result, Cmdbuilder.OptionList):
        return result
    option_list = Cmdbuilder.OptionList.new(source_id)
    for item in result:
        if isinstance(item, Cmdbuilder.OptionEntry):
            entry = item
        elif isinstance(item, str):
            entry = Cmdbuilder.OptionEntry.new(item, None)
        else:
            name, path = item
            entry = Cmdbuilder.OptionEntry.new(name, path)
        option_list.add(entry)
    return option_list


class Registry(GObject.Object, Cmdbuilder.OptionSource):
    """An option source. Subclasses define ``list(self, context, source_id)``
    returning a Cmdbuilder.OptionList or an iterable of names, (name, file)
    pairs or Cmdbuilder.OptionEntry objects, for one of the source ids named
    in the plugin's X-Sources key."""

    def list(self, context, source_id):
        raise NotImplementedError(f"{type(self).__name__} does not define list()")

    @staticmethod
    def yaml_dir(context, source_id, relative_dir):
        """The stems of <configs>/relative_dir/*.yaml by the built-in
        registries' rules (name order, a missing directory is a warning)."""
        option_list = Cmdbuilder.OptionList.new(source_id)
        option_list.add_yaml_dir(context, relative_dir)
        return option_list

    def do_list_options(self, context, source_id):
        try:
            return _to_option_list(source_id, self.list(context, source_id))
        except Exception as exception:  # every failure becomes the field's error
            raise as_glib_error(exception) from None


class Page(GObject.Object, Cmdbuilder.Page):
    """A page. Its form is the schema named like the plugin (next to the
    .plugin file or on the schema path); the page needs no method for a
    command made of its schema's overrides."""
