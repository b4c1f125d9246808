#define G_LOG_DOMAIN "cmdb-cli"

/* A subcommand's --help text, obtained without running it (describe mode)
 * and taken apart: the man page and shell completion read the options
 * from there, so the option entries in each cli-<name>.c stay their one
 * source. */

#include "cli.h"

#include <string.h>

static void
help_option_free (CmdbCliHelpOption *option)
{
  g_free (option->spec);
  g_free (option->short_name);
  g_free (option->long_name);
  g_free (option->summary);
  g_free (option);
}

void
cmdb_cli_help_free (CmdbCliHelp *help)
{
  if (help == NULL)
    return;
  g_free (help->usage);
  g_ptr_array_unref (help->options);
  g_free (help->description);
  g_free (help);
}

/* "-s, --set=KEY=VALUE" or "--json". */
static CmdbCliHelpOption *
parse_option_line (const char *line)
{
  CmdbCliHelpOption *option = g_new0 (CmdbCliHelpOption, 1);
  const char *gap = strstr (line + 2, "  ");
  const char *dashes;

  option->spec
      = g_strstrip (gap != NULL ? g_strndup (line + 2, gap - line - 2) : g_strdup (line + 2));
  option->summary = g_strstrip (g_strdup (gap != NULL ? gap : ""));
  dashes = strstr (option->spec, "--");
  if (dashes == NULL)
    dashes = option->spec;
  option->long_name = g_strndup (dashes, strcspn (dashes, "= "));
  if (option->spec[0] == '-' && option->spec[1] != '-')
    option->short_name = g_strndup (option->spec, 2);
  option->takes_value = strchr (dashes, '=') != NULL;
  return option;
}

CmdbCliHelp *
cmdb_cli_help_parse (const char *text)
{
  CmdbCliHelp *help = g_new0 (CmdbCliHelp, 1);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GString) description = g_string_new (NULL);
  CmdbCliHelpOption *last = NULL;
  gboolean in_help_options = FALSE;

  help->options = g_ptr_array_new_with_free_func ((GDestroyNotify) help_option_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_equal (line, "Usage:") && lines[i + 1] != NULL)
        {
          g_free (help->usage);
          help->usage = g_strstrip (g_strdup (lines[++i]));
        }
      else if (line[0] != ' ' && g_str_has_suffix (line, "Options:"))
        {
          /* GLib's own -h/--help group: the common options cover it. */
          in_help_options = g_str_equal (line, "Help Options:");
          last = NULL;
        }
      else if (g_str_has_prefix (line, "  -"))
        {
          last = in_help_options ? NULL : parse_option_line (line);
          if (last != NULL)
            g_ptr_array_add (help->options, last);
        }
      else if (g_str_has_prefix (line, "    ") && last != NULL)
        {
          /* A summary written over several lines. */
          g_autofree char *continued = g_strstrip (g_strdup (line));
          char *joined = g_strconcat (last->summary, " ", continued, NULL);

          g_free (last->summary);
          last->summary = joined;
        }
      else if (line[0] != '\0' && line[0] != ' ')
        {
          last = NULL;
          g_string_append_printf (description, "%s%s", description->len > 0 ? " " : "", line);
        }
    }
  help->description = g_strdup (description->str);
  return help;
}

CmdbCliHelp *
cmdb_cli_describe_command_help (const CmdbCliCommand *command)
{
  g_autofree char *text = cmdb_cli_describe_command (command);

  return cmdb_cli_help_parse (text != NULL ? text : "");
}
