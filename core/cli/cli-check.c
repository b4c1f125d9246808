#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "schema/cmdb-schema-private.h"
#include "state/cmdb-state-private.h"

#include <stdio.h>

/* `cmdbuilder check`: every problem of a workspace's schemas, plugins and
 * configuration, located, for editors and CI. Stdout names the files each
 * page's schema came from, then a one-line summary; problems go to stderr.
 * Exit 0 without errors (warnings are listed), 2 when errors were found,
 * 1 for a usage or configuration error that stops the check itself. */

typedef struct
{
  GPtrArray *problems; /* CmdbProblem, in report order */
  GHashTable *seen;    /* their strings, so shared sources report once */
} Report;

static void
report_add (Report *report, CmdbProblem *problem)
{
  g_autofree char *text = cmdb_problem_to_string (problem);

  if (g_hash_table_contains (report->seen, text))
    {
      cmdb_problem_free (problem);
      return;
    }
  g_hash_table_add (report->seen, g_steal_pointer (&text));
  g_ptr_array_add (report->problems, problem);
}

static void
report_add_all (Report *report, GPtrArray *problems)
{
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    report_add (report, cmdb_problem_copy (g_ptr_array_index (problems, i)));
}

/* The node an element used to name @source_id, for the location. */
static const CmdbYamlNode *
source_node (CmdbSchema *schema, const char *source_id)
{
  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);

      if (element->options_source != NULL && g_str_equal (element->options_source, source_id))
        return cmdb_yaml_node_lookup (element->node, "options_source");
    }
  return NULL;
}

static const char *
source_subject (CmdbSchema *schema, const char *source_id)
{
  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);

      if (element->options_source != NULL && g_str_equal (element->options_source, source_id))
        return element->key;
    }
  return source_id;
}

/* "train: schema A + B + C": where page @record's schema came from. */
static void
print_schema_files (CmdbPluginRecord *record, CmdbSchema *schema)
{
  GPtrArray *files = cmdb_schema_get_files (schema);

  printf ("%s: schema", record->id);
  for (guint i = 0; i < files->len; i++)
    printf ("%s%s", i == 0 ? " " : " + ", (const char *) g_ptr_array_index (files, i));
  printf ("\n");
}

static void
check_page (Report *report, CmdbCliSession *session, CmdbPluginRecord *record, guint *ret_n_sources)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path
      = cmdb_host_find_schema (session->host, session->context, record->id, &error);
  g_autoptr (CmdbSchema) schema = NULL;
  GPtrArray *sources;

  if (path == NULL)
    {
      report_add (report, cmdb_problem_new (CMDB_SEVERITY_ERROR,
                                            cmdb_context_get_schemas_dir (session->context), 0, 0,
                                            record->id, "%s", error->message));
      return;
    }
  schema = cmdb_host_load_schema (session->host, session->context, record->id, &error);
  if (schema == NULL)
    {
      report_add (report, cmdb_schema_problem_from_error (error, path, NULL));
      return;
    }
  print_schema_files (record, schema);
  report_add_all (report, cmdb_schema_get_problems (schema));
  /* The page plugin's rule defaults (a page that cannot load is reported
   * with the plugins). */
  {
    g_autoptr (CmdbPageSession) page
        = cmdb_page_session_open (session->host, session->context, record->id, NULL);

    if (page != NULL)
      report_add_all (report, cmdb_page_session_get_problems (page));
  }

  sources = cmdb_schema_get_option_sources (schema);
  for (guint i = 0; i < sources->len; i++)
    {
      const char *source_id = g_ptr_array_index (sources, i);
      g_autoptr (CmdbOptionList) list = NULL;
      g_autoptr (GError) source_error = NULL;

      list = cmdb_context_get_options (session->context, source_id, &source_error);
      (*ret_n_sources)++;
      if (list == NULL)
        {
          const CmdbYamlNode *node = source_node (schema, source_id);

          report_add (report, cmdb_problem_new (CMDB_SEVERITY_ERROR, path,
                                                node != NULL ? cmdb_yaml_node_get_line (node) : 0,
                                                node != NULL ? cmdb_yaml_node_get_column (node) : 0,
                                                source_subject (schema, source_id), "%s",
                                                source_error->message));
          continue;
        }
      report_add_all (report, list->problems);
    }
}

/* Loads every enabled plugin (only check does: the other subcommands load
 * what they use), so a plugin that cannot load is found before a page
 * needs it. A module file that is not there is named as such; any other
 * failure carries the loader's reason (the host reports those). */
static void
load_plugins (Report *report, CmdbHost *host)
{
  GPtrArray *records = cmdb_host_list_plugins (host);

  for (guint i = 0; i < records->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (records, i);
      const char *module = peas_plugin_info_get_module_name (record->info);
      g_autofree char *module_path = cmdb_host_get_module_path (host, record);
      const char *plugin_file = cmdb_host_get_plugin_file (host, record->id);
      g_autoptr (GError) error = NULL;

      if (!record->enabled || record->loaded)
        continue;
      if (!g_file_test (module_path, G_FILE_TEST_EXISTS))
        {
          report_add (report, cmdb_problem_new (
                                  CMDB_SEVERITY_ERROR,
                                  plugin_file != NULL ? plugin_file : record->module_dir, 0, 0,
                                  record->id, "plugin '%s': its module %s (Module=%s) is missing",
                                  record->id, module_path, module));
          continue;
        }
      cmdb_host_load_plugin (host, record->id, &error);
    }
}

static void
check_catalogs (Report *report, CmdbContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbCatalog) architectures = cmdb_context_get_architectures (context, &error);
  g_autoptr (CmdbCatalog) optimizers = NULL;
  g_autoptr (GPtrArray) profile_problems
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  g_autoptr (GPtrArray) profiles = NULL;

  if (architectures == NULL)
    report_add (report, cmdb_schema_problem_from_error (error, NULL, "models.architectures"));
  else
    report_add_all (report, cmdb_catalog_get_problems (architectures));
  g_clear_error (&error);
  optimizers = cmdb_context_get_optimizers (context, &error);
  if (optimizers == NULL)
    report_add (report, cmdb_schema_problem_from_error (error, NULL, "models.optimizers"));
  else
    report_add_all (report, cmdb_catalog_get_problems (optimizers));
  g_clear_error (&error);
  profiles = cmdb_context_get_profiles (context, profile_problems, &error);
  if (profiles == NULL)
    report_add (report, cmdb_schema_problem_from_error (error, NULL, "preprocessing_profiles"));
  report_add_all (report, profile_problems);
}

static int
compare_problem_paths (gconstpointer a, gconstpointer b)
{
  const CmdbProblem *pa = *(const CmdbProblem *const *) a;
  const CmdbProblem *pb = *(const CmdbProblem *const *) b;

  return g_strcmp0 (pa->path, pb->path);
}

int
cmdb_cli_check (int argc, char **argv)
{
  g_auto (CmdbCliCommonOptions) common = { 0 };
  g_autoptr (GOptionContext) option_context = g_option_context_new (
      "- report every problem in the workspace's schemas and configuration");
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pages = NULL;
  Report report = { 0 };
  guint n_errors = 0, n_warnings = 0, n_sources = 0;

  gboolean strict = FALSE;
  const GOptionEntry entries[]
      = { { "strict", 0, 0, G_OPTION_ARG_NONE, &strict, "Count warnings as errors (exit 2)", NULL },
          { NULL } };

  g_option_context_add_main_entries (option_context, entries, NULL);
  cmdb_cli_add_common_options (option_context, &common);
  if (!cmdb_cli_parse (option_context, &argc, &argv))
    return 1;
  session = cmdb_cli_session_open (&common, &error);
  if (session == NULL)
    {
      cmdb_cli_error ("%s", error->message);
      return 1;
    }

  report.problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  report.seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  report_add_all (&report, cmdb_config_get_problems (session->config));
  load_plugins (&report, session->host);
  pages = cmdb_host_list_pages (session->host);
  for (guint i = 0; i < pages->len; i++)
    check_page (&report, session, g_ptr_array_index (pages, i), &n_sources);
  /* Discovery and load problems, with what activating the pages added. */
  report_add_all (&report, cmdb_host_get_problems (session->host));
  check_catalogs (&report, session->context);
  /* The history: state files this build cannot read, or a newer one wrote. */
  {
    g_autoptr (GPtrArray) state_problems
        = cmdb_state_check (cmdb_context_get_state_dir (session->context));

    report_add_all (&report, state_problems);
  }

  /* Failures a run would meet (cli-check-predict.c). */
  {
    g_autoptr (GPtrArray) predicted = cmdb_cli_check_predict (session, pages);

    report_add_all (&report, predicted);
  }
  cmdb_cli_check_suggest_directories (report.problems, session);

  /* Grouped by file, in report order within each. */
  g_ptr_array_sort (report.problems, compare_problem_paths);
  cmdb_cli_print_problems (report.problems);
  for (guint i = 0; i < report.problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (report.problems, i);

      if (problem->severity == CMDB_SEVERITY_ERROR)
        n_errors++;
      else
        n_warnings++;
    }
  g_ptr_array_unref (report.problems);
  g_hash_table_unref (report.seen);

  if (n_errors + n_warnings > 0)
    {
      fprintf (stderr, "check: %u error%s, %u warning%s\n", n_errors, n_errors == 1 ? "" : "s",
               n_warnings, n_warnings == 1 ? "" : "s");
      return n_errors > 0 || (strict && n_warnings > 0) ? 2 : 0;
    }
  printf ("check: %u page%s, %u option source%s, no problems\n", pages->len,
          pages->len == 1 ? "" : "s", n_sources, n_sources == 1 ? "" : "s");
  return 0;
}
