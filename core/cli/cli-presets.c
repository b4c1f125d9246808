#define G_LOG_DOMAIN "cmdb-cli"

/* `cmdbuilder presets [PAGE]` and `cmdbuilder preset save|delete PAGE
 * NAME`: the named starting points of a page (core/presets), shared in the
 * workspace or private in the state directory. */

#include "cli.h"
#include "presets/cmdb-presets-private.h"

#include <stdio.h>
#include <string.h>

static JsonNode *
presets_to_json (GPtrArray *presets)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < presets->len; i++)
    json_array_add_object_element (array, cmdb_preset_to_json (g_ptr_array_index (presets, i)));
  json_node_take_array (node, array);
  return node;
}

/* Prints the presets of one page: "NAME  shared|private  DESCRIPTION". */
static void
print_presets (const char *page_id, GPtrArray *presets, gboolean with_page)
{
  for (guint i = 0; i < presets->len; i++)
    {
      const CmdbPreset *preset = g_ptr_array_index (presets, i);

      if (with_page)
        printf ("%-10s ", cmdb_cli_safe (page_id));
      printf ("%-24s %-8s %s\n", cmdb_cli_safe (preset->name),
              preset->is_private ? "private" : "shared", cmdb_cli_safe (preset->description));
    }
}

int
cmdb_cli_presets (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[]
      = { { "json", 0, 0, G_OPTION_ARG_NONE, &json,
            "Print {PAGE: [{name, description, values, private, path}]}", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("[PAGE] - list the presets of a page (or of every page)");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) page_ids = NULL;
  g_autoptr (JsonObject) all = json_object_new ();
  int status = 0;

  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_set_description (
      option_context,
      "Shared presets live in configs/ui_meta/presets/PAGE/NAME.yaml (commit them), "
      "private ones in the state directory; docs/sweeps.md.");
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc > 2)
    {
      cmdb_cli_error ("presets: expected at most one PAGE");
      return 1;
    }
  common.json_output = json;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  page_ids = cmdb_cli_list_page_ids (session);
  if (argc == 2)
    {
      g_autoptr (CmdbPageSession) page_session
          = cmdb_cli_open_page_session (session, argv[1], &error);

      if (page_session == NULL)
        {
          cmdb_cli_error ("%s", error->message);
          return 1;
        }
      g_ptr_array_set_size (page_ids, 0);
      g_ptr_array_add (page_ids, g_strdup (argv[1]));
    }
  for (guint i = 0; i < page_ids->len; i++)
    {
      const char *page_id = g_ptr_array_index (page_ids, i);
      g_autoptr (GPtrArray) problems
          = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
      g_autoptr (GPtrArray) presets = cmdb_presets_list (session->context, page_id, problems);

      cmdb_cli_print_problems (problems);
      if (problems->len > 0)
        status = 2;
      if (json)
        json_object_set_member (all, page_id, presets_to_json (presets));
      else
        print_presets (page_id, presets, argc < 2);
    }
  if (json)
    {
      g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), all);

      cmdb_cli_print_json (node);
    }
  return status;
}

static int
preset_save (CmdbCliSession *session, const char *page_id, const char *name, char **sets,
             const char *description, gboolean is_private)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbPageSession) page_session = cmdb_cli_open_page_session (session, page_id, &error);
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (JsonObject) values = json_object_new ();
  g_autofree char *path = NULL;

  if (page_session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (!cmdb_preset_check_name (name, &error))
    {
      cmdb_cli_error ("preset save: %s", error->message);
      return 1;
    }
  /* Each --set is checked as build checks it, so a preset holds only keys
   * and values the page takes. */
  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    {
      const char *equals = strchr (sets[i], '=');
      g_autofree char *key = NULL;

      if (equals == NULL || equals == sets[i])
        {
          cmdb_cli_error ("--set %s: expected KEY=VALUE", sets[i]);
          return 2;
        }
      key = g_strndup (sets[i], equals - sets[i]);
      if (!cmdb_page_session_set_text (page_session, input, key, equals + 1, &error))
        {
          cmdb_cli_error ("--set %s: %s", sets[i], error->message);
          return 2;
        }
      json_object_set_member (values, key, json_node_copy (cmdb_form_input_get (input, key)));
    }
  path
      = cmdb_preset_save (session->context, page_id, name, description, values, is_private, &error);
  if (path == NULL)
    {
      cmdb_cli_error ("preset save: %s", error->message);
      return 1;
    }
  cmdb_cli_note ("saved %s preset '%s' of %s (%u values): %s", is_private ? "private" : "shared",
                 cmdb_cli_safe (name), cmdb_cli_safe (page_id), json_object_get_size (values),
                 cmdb_cli_safe (path));
  return 0;
}

int
cmdb_cli_preset (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_auto (GStrv) sets = NULL;
  g_autofree char *description = NULL;
  gboolean is_private = FALSE;
  const GOptionEntry entries[]
      = { { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
            "save: a value of the preset (as build takes it); repeatable", "KEY=VALUE" },
          { "description", 0, 0, G_OPTION_ARG_STRING, &description, "save: what the preset is for",
            "TEXT" },
          { "private", 0, 0, G_OPTION_ARG_NONE, &is_private,
            "save: in the state directory (yours only), not in the workspace", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("save|delete PAGE NAME - save a page's preset or delete one");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_set_description (
      option_context,
      "A shared preset is written to configs/ui_meta/presets/PAGE/NAME.yaml for git; "
      "build --preset NAME and run --preset NAME apply it.");
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 4 || (!g_str_equal (argv[1], "save") && !g_str_equal (argv[1], "delete")))
    {
      cmdb_cli_error ("preset: expected save|delete PAGE NAME; run with --help for the options");
      return 1;
    }
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  if (g_str_equal (argv[1], "save"))
    return preset_save (session, argv[2], argv[3], sets, description, is_private);

  {
    g_autoptr (CmdbPageSession) page_session
        = cmdb_cli_open_page_session (session, argv[2], &error);
    g_autofree char *path = NULL;

    if (page_session == NULL)
      {
        cmdb_cli_error ("%s", error->message);
        return 1;
      }
    path = cmdb_preset_delete (session->context, argv[2], argv[3], &error);
    if (path == NULL)
      {
        cmdb_cli_error ("preset delete: %s", error->message);
        return 1;
      }
    cmdb_cli_note ("deleted preset '%s' of %s: %s", cmdb_cli_safe (argv[3]),
                   cmdb_cli_safe (argv[2]), cmdb_cli_safe (path));
  }
  return 0;
}
