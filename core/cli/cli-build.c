#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"

#include <stdio.h>
#include <string.h>

/* `cmdbuilder build PAGE`: the command a page's form gives, without a UI.
 * Stdout holds exactly one line (the display command) or, with --json, one
 * JSON object; everything else goes to stderr. Exit 0 built, 2 a negative
 * verdict (a value the form refuses, failed rules, a command that names no
 * runner, a command Hydra would not compose: the whole answer is still
 * printed with --json; --no-compose-check skips the check), 1 usage, schema
 * or configuration errors (cli-commands.c). */

/* A JSON report for failures before a command exists (bad --set). */
static void
print_failure_json (const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "command");
  json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "argv");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "overrides");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "constant_overrides");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "errors");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, message);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "warnings");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  cmdb_cli_print_json (root);
}

int
cmdb_cli_build (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_auto (GStrv) sets = NULL;
  g_auto (GStrv) sweeps = NULL;
  gboolean suffix = FALSE, no_suffix = FALSE, json = FALSE, no_compose_check = FALSE;
  g_autofree char *use_case_id = NULL;
  g_autofree char *preset = NULL;
  const GOptionEntry entries[]
      = { { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
            "Set a form value (the stored value; a label/value option also takes its label; lists "
            "as KEY=[a,b]); repeatable",
            "KEY=VALUE" },
          { "sweep", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sweeps,
            "Several values of a key: one command per member of the product of every --sweep "
            "(KEY=a,b,c or KEY=range(start,stop,step)); repeatable",
            "KEY=VALUES" },
          { "suffix", 0, 0, G_OPTION_ARG_NONE, &suffix,
            "Append -<architecture>-<decoder>-<encoder> to exp_name", NULL },
          { "no-suffix", 0, 0, G_OPTION_ARG_NONE, &no_suffix, "Do not append the suffix", NULL },
          { "use-case", 0, 0, G_OPTION_ARG_STRING, &use_case_id,
            "Apply a suggested setup first (--set values still win)", "ID" },
          { "preset", 0, 0, G_OPTION_ARG_STRING, &preset,
            "Apply a preset (cmdbuilder presets PAGE) after the use case (--set values still win)",
            "NAME" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json,
            "Print {command, argv, overrides, constant_overrides, errors, warnings, compose}",
            NULL },
          { "no-compose-check", 0, 0, G_OPTION_ARG_NONE, &no_compose_check,
            "Do not check that Hydra would compose the command", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("PAGE - print a page's command");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (CmdbComposeResult) compose = NULL;
  CmdbCliPageCommandFlags flags = { 0 };
  int status = 1;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse_page_options (option_context, &common, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      cmdb_cli_error ("build: expected one PAGE (e.g. train); run with --help for the options");
      return 1;
    }
  if (suffix && no_suffix)
    {
      cmdb_cli_error ("build: --suffix and --no-suffix exclude each other");
      return 1;
    }
  common.json_output = json;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }
  flags.sets = sets;
  flags.use_case_id = use_case_id;
  flags.preset = preset;
  flags.suffix = suffix ? 1 : no_suffix ? 0 : -1;
  flags.compose_check = !no_compose_check;
  if (sweeps != NULL)
    return cmdb_cli_build_sweep (session, argv[1], &flags, sweeps, json);
  command = cmdb_cli_build_page_command (session, argv[1], &flags, NULL, NULL, &status, &compose,
                                         &error);
  if (command == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      if (json && status == 2)
        print_failure_json (error->message);
      return status;
    }
  /* A command for a script that is not there must not look like success. */
  if (status == 0 && !cmdb_command_check_argv (command->argv, session->context, &error))
    {
      cmdb_cli_error ("the command would not run: %s (runners: [command] runners)", error->message);
      if (json)
        print_failure_json (error->message);
      return 2;
    }
  if (json)
    {
      g_autoptr (JsonNode) node = cmdb_command_to_json (command);

      /* The composition verdict, as `cmdbuilder compose --json` gives it
       * (null when unchecked: --no-compose-check, or no primary config). */
      if (compose != NULL)
        json_object_set_member (json_node_get_object (node), "compose",
                                cmdb_compose_result_to_json (compose));
      else
        json_object_set_null_member (json_node_get_object (node), "compose");
      cmdb_cli_print_json (node);
    }
  else if (status == 0)
    printf ("%s\n", command->display);
  return status;
}
