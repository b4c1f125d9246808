#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"

#include <stdio.h>
#include <string.h>

/* `cmdbuilder compose [PAGE] [--config-name NAME] -- OVERRIDE...`: would
 * Hydra compose this command? The verdict of the static composition check
 * (docs/compose-check.md) for the page's primary config and the overrides as
 * Hydra receives them. Exit 0 composes, 2 does not, 1 usage or workspace
 * errors. The resolve stage (interpolations that point nowhere) is printed
 * as warnings and does not change the exit status. */

static void
print_indented (FILE *stream, const char *text, const char *indent)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      fprintf (stream, "%s%s\n", indent, lines[i]);
}

/* Prints the verdict for a person. */
void
cmdb_cli_print_compose_result (CmdbComposeResult *result, const char *config_name, FILE *stream)
{
  g_autoptr (JsonNode) json = cmdb_compose_result_to_json (result);
  JsonObject *object = json_node_get_object (json);
  JsonArray *problems = json_object_get_array_member (object, "problems");
  JsonArray *resolve_problems = json_object_get_array_member (
      json_object_get_object_member (object, "resolve"), "problems");

  if (cmdb_compose_result_get_ok (result))
    fprintf (stream, "%s: composes%s\n", config_name,
             json_array_get_length (resolve_problems) > 0 ? ", but fails on first read" : "");
  else
    fprintf (stream, "%s: does not compose\n", config_name);
  for (guint i = 0; i < json_array_get_length (problems); i++)
    {
      JsonObject *problem = json_array_get_object_element (problems, i);
      const char *override = json_object_get_string_member_with_default (problem, "override", NULL);
      const char *hint = json_object_get_string_member_with_default (problem, "hint", NULL);

      fprintf (stream, "  error: %s%s\n", override != NULL ? override : "",
               override != NULL ? ":" : "");
      print_indented (stream, json_object_get_string_member (problem, "message"), "    ");
      if (hint != NULL)
        fprintf (stream, "    hint: %s\n", hint);
    }
  for (guint i = 0; i < json_array_get_length (resolve_problems); i++)
    {
      JsonObject *problem = json_array_get_object_element (resolve_problems, i);

      fprintf (stream, "  warning: %s: %s (%s)\n", json_object_get_string_member (problem, "key"),
               json_object_get_string_member (problem, "message"),
               json_object_get_string_member (problem, "value"));
    }
}

int
cmdb_cli_compose (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autofree char *config_name = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    /* No short form: -c is the common --config of every subcommand. */
    { "config-name", 0, 0, G_OPTION_ARG_STRING, &config_name,
      "The primary config (default: the page's, else the page id)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print {ok, config, problems: [{override, message, hint}], resolve: {ok, problems}}", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) option_context = g_option_context_new (
      "[PAGE] -- OVERRIDE... - tell whether Hydra would compose these overrides");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = g_ptr_array_new ();
  g_autoptr (CmdbComposeResult) result = NULL;
  const char *page_id = NULL;
  gboolean after_separator = FALSE;

  g_option_context_add_main_entries (option_context, entries, NULL);
  g_option_context_set_strict_posix (option_context, FALSE);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  for (int i = 1; i < argc; i++)
    {
      if (!after_separator && strcmp (argv[i], "--") == 0)
        {
          after_separator = TRUE;
          continue;
        }
      if (!after_separator && page_id == NULL)
        page_id = argv[i];
      else
        g_ptr_array_add (tokens, argv[i]);
    }
  if (page_id == NULL && config_name == NULL)
    {
      fprintf (stderr, "cmdbuilder compose: name a PAGE or --config-name NAME\n"
                       "Run with --help for the options.\n");
      return 1;
    }
  common.json_output = json;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      fprintf (stderr, "cmdbuilder: %s\n", error->message);
      return 1;
    }
  if (config_name == NULL)
    config_name = cmdb_compose_config_name_for_page (session->context, page_id);
  result = cmdb_compose_argv (session->context, config_name, tokens, 0);
  if (json)
    {
      g_autoptr (JsonNode) node = cmdb_compose_result_to_json (result);

      cmdb_cli_print_json (node);
    }
  else
    cmdb_cli_print_compose_result (result, config_name, stdout);
  return cmdb_compose_result_get_ok (result) ? 0 : 2;
}
