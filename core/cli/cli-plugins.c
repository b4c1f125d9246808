#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"

#include <stdio.h>

/* `cmdbuilder plugins`: what the host discovered and what this process has
 * loaded. Listing maps no module, so every plugin shows loaded=false here
 * unless --activate asks for a page first (which shows lazy loading). */
int
cmdb_cli_plugins (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE;
  g_auto (GStrv) activate = NULL;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL },
          { "activate", 0, 0, G_OPTION_ARG_STRING_ARRAY, &activate,
            "Activate this page first (repeatable), to see what it loads", "PAGE" },
          { NULL } };
  g_autoptr (GOptionContext) option_context = g_option_context_new ("- list the plugins");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *records;
  int status = 0;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;

  /* The plugins of an installation, whatever the directory. */
  common.any_directory = TRUE;
  common.json_output = json;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  for (guint i = 0; activate != NULL && activate[i] != NULL; i++)
    if (cmdb_host_activate_page (session->host, session->context, activate[i], &error) == NULL)
      {
        cmdb_cli_error ("%s", error->message);
        g_clear_error (&error);
        status = 1;
      }

  cmdb_cli_print_problems (cmdb_host_get_problems (session->host));
  if (json)
    {
      g_autoptr (JsonNode) node = cmdb_host_plugins_to_json (session->host);
      cmdb_cli_print_json (node);
      return status;
    }

  records = cmdb_host_list_plugins (session->host);
  printf ("%-12s %-9s %-8s %-7s %-8s %s\n", "ID", "KIND", "ENABLED", "LOADED", "LOAD MS", "PATH");
  for (guint i = 0; i < records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (records, i);
      g_autofree char *load_ms
          = record->loaded ? g_strdup_printf ("%.3f", record->load_ms) : g_strdup ("-");

      printf ("%-12s %-9s %-8s %-7s %-8s %s\n", record->id,
              cmdb_plugin_kind_to_string (record->kind), record->enabled ? "yes" : "no",
              record->loaded ? "yes" : "no", load_ms, record->module_dir);
    }
  return status;
}
