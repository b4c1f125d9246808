#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"

#include <string.h>

/* The part of `cmdbuilder check` that predicts failed runs before anything
 * starts (docs/compose-check.md):
 *
 *   - every page's default command and every suggested setup's command must
 *     compose in Hydra (an error), and should resolve (a warning);
 *   - the launcher must be on PATH (else every run fails with exit 127);
 *   - each page's runner script must exist;
 *   - a configured directory that is missing while a similarly named one
 *     exists is said so (configs/preset/models/decoder vs
 *     configs/model/decoder).
 *
 * Each problem is located at the file to fix: the primary config, the
 * ui_meta file holding the suggested setup, the configuration file that set
 * the launcher. */

static gboolean
page_has_suggestions (CmdbPluginRecord *record)
{
  const char *flag = peas_plugin_info_get_external_data (record->info, "Suggestions");

  return flag != NULL && (g_ascii_strcasecmp (flag, "true") == 0 || g_str_equal (flag, "1"));
}

/* "override: first line (hint)" of @compose's first problem. */
static char *
describe_compose_failure (CmdbComposeResult *compose)
{
  const char *message = cmdb_compose_result_get_message (compose);
  const char *override = cmdb_compose_result_get_override (compose);
  const char *hint = cmdb_compose_result_get_hint (compose);
  g_autofree char *first_line = g_strndup (message, strcspn (message, "\n"));

  return g_strdup_printf ("%s%s%s%s%s%s", override != NULL ? override : "",
                          override != NULL ? ": " : "", first_line, hint != NULL ? " (" : "",
                          hint != NULL ? hint : "", hint != NULL ? ")" : "");
}

static char *
describe_resolve_failure (CmdbComposeResult *compose)
{
  g_autoptr (JsonNode) json = cmdb_compose_result_to_json (compose);
  JsonObject *resolve = json_object_get_object_member (json_node_get_object (json), "resolve");
  JsonArray *problems = json_object_get_array_member (resolve, "problems");
  JsonObject *first = json_array_get_object_element (problems, 0);

  return g_strdup_printf (
      "%s: %s (%u interpolation%s in all)", json_object_get_string_member (first, "key"),
      json_object_get_string_member (first, "message"), json_array_get_length (problems),
      json_array_get_length (problems) == 1 ? "" : "s");
}

/* Composes @input's command on @page_session; adds an error when it does
 * not compose, a warning when it does not resolve. @what names the command
 * ("the default command", "suggested setup 'x'"), @path/@line where to fix
 * it. Returns the built command (transfer full) (nullable). */
static CmdbCommand *
check_command (GPtrArray *out, CmdbPageSession *page_session, CmdbFormInput *input,
               const char *what, const char *path, guint line)
{
  const char *page_id = cmdb_page_session_get_id (page_session);
  g_autoptr (CmdbFormState) form = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (CmdbComposeResult) compose = NULL;

  form = cmdb_page_session_evaluate (page_session, input, CMDB_PAGE_SESSION_STRICT);
  command = cmdb_page_session_build (page_session, form,
                                     cmdb_page_session_get_suffix_default (page_session), NULL);
  if (command == NULL || command->errors->len > 0)
    return g_steal_pointer (&command); /* the form's own errors are reported elsewhere */
  compose = cmdb_page_session_compose (page_session, command);
  if (compose == NULL)
    return g_steal_pointer (&command);
  if (!cmdb_compose_result_get_ok (compose))
    {
      g_autofree char *why = describe_compose_failure (compose);

      g_ptr_array_add (out, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, line, 0, page_id,
                                              "%s of page %s would not compose in Hydra: %s", what,
                                              page_id, why));
    }
  else if (!cmdb_compose_result_get_resolve_ok (compose))
    {
      g_autofree char *why = describe_resolve_failure (compose);

      g_ptr_array_add (out, cmdb_problem_new (CMDB_SEVERITY_WARNING, path, line, 0, page_id,
                                              "%s of page %s composes, but fails on first read: "
                                              "%s",
                                              what, page_id, why));
    }
  return g_steal_pointer (&command);
}

/* The line of use case @id in @item's ui_meta file: its `- id: ...` item
 * (or key, in the mapping form); 0 when not found. */
static guint
use_case_line (const CmdbCatalogItem *item, const char *id)
{
  const CmdbYamlNode *use_cases
      = item->ui_metadata != NULL ? cmdb_yaml_node_lookup (item->ui_metadata, "use_cases") : NULL;

  if (use_cases == NULL)
    return 0;
  for (guint i = 0; i < cmdb_yaml_node_get_n_children (use_cases); i++)
    {
      if (cmdb_yaml_node_get_kind (use_cases) == CMDB_YAML_NODE_SEQUENCE)
        {
          const CmdbYamlNode *entry = cmdb_yaml_node_get_item (use_cases, i);
          const CmdbYamlNode *entry_id = cmdb_yaml_node_get_kind (entry) == CMDB_YAML_NODE_MAPPING
                                             ? cmdb_yaml_node_lookup (entry, "id")
                                             : NULL;

          if (entry_id != NULL && g_strcmp0 (cmdb_yaml_node_get_scalar (entry_id), id) == 0)
            return cmdb_yaml_node_get_line (entry);
        }
      else if (cmdb_yaml_node_get_kind (use_cases) == CMDB_YAML_NODE_MAPPING)
        {
          const CmdbYamlNode *key = cmdb_yaml_node_get_key_node (use_cases, i);

          if (g_strcmp0 (cmdb_yaml_node_get_scalar (key), id) == 0)
            return cmdb_yaml_node_get_line (key);
        }
    }
  return cmdb_yaml_node_get_line (use_cases);
}

static void
check_use_cases (GPtrArray *out, CmdbCliSession *session, CmdbPageSession *page_session)
{
  g_autoptr (CmdbCatalog) catalog = cmdb_context_get_architectures (session->context, NULL);

  for (guint i = 0; catalog != NULL && i < cmdb_catalog_get_n_items (catalog); i++)
    {
      const CmdbCatalogItem *item = cmdb_catalog_get_item (catalog, i);
      g_autoptr (GPtrArray) use_cases = cmdb_list_use_cases (session->context, item->name);

      for (guint k = 0; k < use_cases->len; k++)
        {
          const CmdbUseCase *use_case = g_ptr_array_index (use_cases, k);
          g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
          g_autoptr (CmdbCommand) command = NULL;
          g_autofree char *what = g_strdup_printf ("suggested setup '%s'", use_case->id);

          cmdb_form_input_apply_use_case (input, cmdb_page_session_get_schema (page_session),
                                          use_case);
          command = check_command (out, page_session, input, what,
                                   item->meta_file != NULL ? item->meta_file : item->config_file,
                                   use_case_line (item, use_case->id));
        }
    }
}

GPtrArray *
cmdb_cli_check_predict (CmdbCliSession *session, GPtrArray *pages)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);

  CmdbProblem *launcher = cmdb_check_launcher (session->context);

  if (launcher != NULL)
    g_ptr_array_add (out, launcher);
  for (guint i = 0; i < pages->len; i++)
    {
      CmdbPluginRecord *record = g_ptr_array_index (pages, i);
      g_autoptr (CmdbPageSession) page_session = NULL;
      g_autoptr (CmdbCommand) command = NULL;
      g_autofree char *config_name = NULL;
      g_autofree char *primary = NULL;
      CmdbProblem *runner;

      page_session = cmdb_page_session_open (session->host, session->context, record->id, NULL);
      if (page_session == NULL)
        continue; /* the page's own problems are reported elsewhere */
      config_name = cmdb_compose_config_name_for_page (session->context, record->id);
      primary = g_strconcat (cmdb_context_get_configs_dir (session->context), G_DIR_SEPARATOR_S,
                             config_name, ".yaml", NULL);
      command = check_command (out, page_session, NULL, "the default command", primary, 1);
      runner = cmdb_page_session_check_runner (page_session, command);
      if (runner != NULL)
        g_ptr_array_add (out, runner);
      if (page_has_suggestions (record))
        check_use_cases (out, session, page_session);
    }
  return out;
}

/* Directories below @dir (depth <= @depth) named @name, relative to @root. */
static void
find_named_dirs (CmdbCache *cache, const char *root, const char *dir, const char *name, guint depth,
                 GPtrArray *found)
{
  g_autoptr (CmdbDirScan) scan = cmdb_cache_scan_dir (cache, dir, CMDB_SCAN_DIRS, NULL, NULL);

  for (guint i = 0; scan != NULL && i < scan->n_entries; i++)
    {
      g_autofree char *child = g_build_filename (dir, scan->entries[i].name, NULL);

      if (scan->entries[i].name[0] == '.')
        continue;
      if (g_str_equal (scan->entries[i].name, name))
        g_ptr_array_add (found, g_strdup (child + strlen (root) + 1));
      if (depth > 0)
        find_named_dirs (cache, root, child, name, depth - 1, found);
    }
}

void
cmdb_cli_check_suggest_directories (GPtrArray *problems, CmdbCliSession *session)
{
  const char *root = cmdb_context_get_root (session->context);
  CmdbCache *cache = cmdb_context_get_cache (session->context);

  for (guint i = 0; i < problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (problems, i);
      g_autofree char *name = NULL;
      g_autoptr (GPtrArray) found = NULL;

      if (problem->path == NULL || strstr (problem->message, "directory does not exist") == NULL
          || g_file_test (problem->path, G_FILE_TEST_EXISTS)
          || !g_str_has_prefix (problem->path, root))
        continue;
      name = g_path_get_basename (problem->path);
      found = g_ptr_array_new_with_free_func (g_free);
      find_named_dirs (cache, root, root, name, 4, found);
      if (found->len > 0)
        {
          char *message = g_strdup_printf ("%s; a similarly named directory exists: %s",
                                           problem->message, (char *) g_ptr_array_index (found, 0));

          g_free (problem->message);
          problem->message = message;
        }
    }
}
