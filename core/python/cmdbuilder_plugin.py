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

import json
import traceback

import gi

gi.require_version("Cmdbuilder", "1")
gi.require_version("Json", "1.0")
from gi.repository import Cmdbuilder, GLib, GObject, Json  # noqa: E402

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


def warning(key, message):
    """A warning shown under the field @key (None: about the form); it does
    not block the command."""
    return Cmdbuilder.Problem.new_literal(Cmdbuilder.Severity.WARNING, None, 0, 0, key, message)


def error(key, message):
    """An error shown under the field @key (None: about the form); it blocks
    the command."""
    return Cmdbuilder.Problem.new_literal(Cmdbuilder.Severity.ERROR, None, 0, 0, key, message)


def to_python(json_object):
    """A Json.Object (the form values the host passes) as a dict."""
    node = Json.Node.alloc().init_object(json_object)
    return json.loads(Json.to_string(node, False))


class Page(GObject.Object, Cmdbuilder.Page):
    """A page. Its form is the schema named like the plugin (next to the
    .plugin file or on the schema path); the page needs no method for a
    command made of its schema's overrides.

    Its rules are two optional methods, given the evaluated form values as a
    dict (key -> value, hidden fields absent):
      ``validate(self, context, values)``: an iterable of problems
      (cmdbuilder_plugin.warning(key, message), error(key, message));
      ``overrides(self, context, values)``: an iterable of Hydra override
      tokens appended after the schema's.
    An exception in either is an error of the form, with its message."""

    def validate(self, context, values):
        return []

    def overrides(self, context, values):
        return []

    def do_validate(self, context, values):
        try:
            return list(self.validate(context, to_python(values)))
        except Exception as exception:
            raise as_glib_error(exception) from None

    def do_add_overrides(self, context, values):
        try:
            return [str(token) for token in self.overrides(context, to_python(values))]
        except Exception as exception:
            raise as_glib_error(exception) from None
