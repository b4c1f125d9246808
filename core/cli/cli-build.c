#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"

#include <stdio.h>
#include <string.h>

/* `cmdbuilder build PAGE`: the command a page's form gives, without a UI.
 * Stdout holds exactly one line (the display command) or, with --json, one
 * JSON object; everything else goes to stderr. Exit 0 built, 2 validation
 * errors (bad --set, failed rules), 1 schema or configuration errors. */

static void
print_messages (GPtrArray *messages)
{
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      g_autofree char *line = cmdb_problem_to_string (g_ptr_array_index (messages, i));

      fprintf (stderr, "%s\n", line);
    }
}

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

static const CmdbUseCase *
find_use_case (GPtrArray *use_cases, const char *id)
{
  for (guint i = 0; i < use_cases->len; i++)
    {
      const CmdbUseCase *use_case = g_ptr_array_index (use_cases, i);

      if (g_str_equal (use_case->id, id))
        return use_case;
    }
  return NULL;
}

/* Every use case of every architecture. */
static GPtrArray *
all_use_cases (CmdbContext *context)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_use_case_free);
  g_autoptr (CmdbCatalog) catalog = cmdb_context_get_architectures (context, NULL);

  for (guint i = 0; catalog != NULL && i < cmdb_catalog_get_n_items (catalog); i++)
    {
      g_autoptr (GPtrArray) use_cases
          = cmdb_list_use_cases (context, cmdb_catalog_get_item (catalog, i)->name);

      while (use_cases->len > 0)
        g_ptr_array_add (all, g_ptr_array_steal_index (use_cases, 0));
    }
  return all;
}

int
cmdb_cli_build (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_auto (GStrv) sets = NULL;
  gboolean suffix = FALSE, no_suffix = FALSE, json = FALSE;
  g_autofree char *use_case_id = NULL;
  const GOptionEntry entries[]
      = { { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &sets,
            "Set a form value (the stored value; a label/value option also takes its label; lists "
            "as KEY=[a,b]); repeatable",
            "KEY=VALUE" },
          { "suffix", 0, 0, G_OPTION_ARG_NONE, &suffix,
            "Append -<architecture>-<decoder>-<encoder> to exp_name", NULL },
          { "no-suffix", 0, 0, G_OPTION_ARG_NONE, &no_suffix, "Do not append the suffix", NULL },
          { "use-case", 0, 0, G_OPTION_ARG_STRING, &use_case_id,
            "Apply a suggested setup first (--set values still win)", "ID" },
          { "json", 0, 0, G_OPTION_ARG_NONE, &json,
            "Print {command, argv, overrides, constant_overrides, errors, warnings}", NULL },
          { NULL } };
  g_autoptr (GOptionContext) option_context
      = g_option_context_new ("PAGE - print a page's command");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbSchema) schema = NULL;
  g_autoptr (CmdbFormInput) input = NULL;
  g_autoptr (CmdbFormState) state = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autofree char *schema_path = NULL;
  CmdbPluginRecord *record;
  CmdbPage *page;
  CmdbCommandOptions options = { 0 };
  const char *page_id;
  GPtrArray *problems;
  gboolean config_errors = FALSE;

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common, TRUE);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  if (argc != 2)
    {
      fprintf (stderr, "cmdbuilder build: expected one PAGE (e.g. train)\nRun with --help for the "
                       "options.\n");
      return 1;
    }
  if (suffix && no_suffix)
    {
      fprintf (stderr, "cmdbuilder build: --suffix and --no-suffix exclude each other\n");
      return 1;
    }
  page_id = argv[1];

  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      fprintf (stderr, "cmdbuilder: %s\n", error->message);
      return 1;
    }
  record = cmdb_host_lookup (session->host, page_id);
  page = cmdb_host_activate_page (session->host, session->context, page_id, &error);
  if (page == NULL || record == NULL)
    {
      fprintf (stderr, "cmdbuilder: %s\n", error != NULL ? error->message : "no such page");
      return 1;
    }
  schema_path = cmdb_host_find_schema (session->host, session->context, page_id, &error);
  if (schema_path != NULL)
    schema = cmdb_schema_load (session->cache, schema_path, &error);
  if (schema == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  print_messages (cmdb_schema_get_problems (schema));
  if (cmdb_schema_has_errors (schema))
    {
      fprintf (stderr, "cmdbuilder: %s has errors; fix them first (cmdbuilder check)\n",
               schema_path);
      return 1;
    }

  input = cmdb_form_input_new ();
  if (use_case_id != NULL)
    {
      g_autoptr (GPtrArray) use_cases = all_use_cases (session->context);
      const CmdbUseCase *use_case = find_use_case (use_cases, use_case_id);

      if (use_case == NULL)
        {
          GString *known = g_string_new (NULL);
          g_autofree char *message = NULL;

          for (guint i = 0; i < use_cases->len; i++)
            g_string_append_printf (known, "%s%s", i > 0 ? ", " : "",
                                    ((CmdbUseCase *) g_ptr_array_index (use_cases, i))->id);
          message = g_strdup_printf ("unknown use case '%s' (known: %s)", use_case_id,
                                     known->len > 0 ? known->str : "none");
          g_string_free (known, TRUE);
          fprintf (stderr, "cmdbuilder: %s\n", message);
          if (json)
            print_failure_json (message);
          return 2;
        }
      cmdb_form_input_apply_use_case (input, schema, use_case);
    }
  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    {
      const char *equals = strchr (sets[i], '=');
      g_autofree char *key = NULL;

      if (equals == NULL || equals == sets[i])
        {
          g_autofree char *message = g_strdup_printf ("--set %s: expected KEY=VALUE", sets[i]);

          fprintf (stderr, "cmdbuilder: %s\n", message);
          if (json)
            print_failure_json (message);
          return 2;
        }
      key = g_strndup (sets[i], equals - sets[i]);
      if (!cmdb_form_input_set_text (input, schema, key, equals + 1, &error))
        {
          g_autofree char *message = g_strdup_printf ("--set %s: %s", sets[i], error->message);

          fprintf (stderr, "cmdbuilder: %s\n", message);
          if (json)
            print_failure_json (message);
          return 2;
        }
    }

  state = cmdb_form_evaluate (schema, session->context, input, CMDB_FORM_KEEP_INVALID);
  problems = cmdb_form_state_get_problems (state);
  print_messages (problems);
  for (guint i = 0; i < problems->len; i++)
    if (((CmdbProblem *) g_ptr_array_index (problems, i))->severity == CMDB_SEVERITY_ERROR)
      config_errors = TRUE;
  if (config_errors)
    return 1;

  options.runner = record->runner;
  options.suffix
      = cmdb_config_get_bool (session->config, "command", "suffix", record->suffix_default);
  if (suffix)
    options.suffix = TRUE;
  if (no_suffix)
    options.suffix = FALSE;
  options.page = page;
  command = cmdb_command_build (state, session->context, &options, &error);
  if (command == NULL)
    {
      fprintf (stderr, "cmdbuilder: %s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < command->warnings->len; i++)
    fprintf (stderr, "warning: %s\n", (char *) g_ptr_array_index (command->warnings, i));
  for (guint i = 0; i < command->errors->len; i++)
    fprintf (stderr, "error: %s\n", (char *) g_ptr_array_index (command->errors, i));
  if (json)
    {
      g_autoptr (JsonNode) node = cmdb_command_to_json (command);

      cmdb_cli_print_json (node);
    }
  else if (command->errors->len == 0)
    printf ("%s\n", command->display);
  return command->errors->len > 0 ? 2 : 0;
}
