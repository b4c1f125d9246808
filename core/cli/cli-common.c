#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "base/cmdb-text-private.h"

#include <stdio.h>
#include <string.h>

void
cmdb_cli_add_common_options (GOptionContext *option_context, CmdbCliCommonOptions *options,
                             gboolean with_schemas)
{
  const GOptionEntry common[]
      = { { "workspace", 'w', 0, G_OPTION_ARG_FILENAME, &options->workspace,
            "Workspace directory (default: the first directory upwards holding pyproject.toml, "
            "requirements.txt, setup.py or .git)",
            "DIR" },
          { "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &options->config_overrides,
            "Set a configuration key for this run (repeatable)", "GROUP.KEY=VALUE" },
          { NULL } };
  const GOptionEntry schemas[] = {
    { "schemas", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->schemas,
      "Look for page schemas in DIR first, before [workspace] schemas, the page plugin's "
      "directory and the bundled ones (repeatable; the first given is searched first)",
      "DIR" },
    { NULL }
  };

  g_option_context_add_main_entries (option_context, common, NULL);
  if (with_schemas)
    g_option_context_add_main_entries (option_context, schemas, NULL);
}

void
cmdb_cli_common_options_clear (CmdbCliCommonOptions *options)
{
  g_clear_pointer (&options->workspace, g_free);
  g_clear_pointer (&options->schemas, g_strfreev);
  g_clear_pointer (&options->config_overrides, g_strfreev);
}

gboolean
cmdb_cli_parse (GOptionContext *option_context, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (option_context, argc, argv, &error))
    {
      fprintf (stderr, "cmdbuilder: %s\nRun with --help for the options.\n", error->message);
      return FALSE;
    }
  return TRUE;
}

/* --config plugins.disabled=predict */
static gboolean
apply_config_override (CmdbConfig *config, const char *text, GError **error)
{
  const char *dot = strchr (text, '.');
  const char *equals = strchr (text, '=');
  g_autofree char *group = NULL;
  g_autofree char *key = NULL;

  if (dot == NULL || equals == NULL || dot > equals)
    {
      g_set_error (error, CMDB_CONFIG_ERROR, CMDB_CONFIG_ERROR_INVALID,
                   "--config %s: expected GROUP.KEY=VALUE", text);
      return FALSE;
    }
  group = g_strndup (text, dot - text);
  key = g_strndup (dot + 1, equals - dot - 1);
  return cmdb_config_set (config, group, key, equals + 1, error);
}

CmdbCliSession *
cmdb_cli_session_open (CmdbCliCommonOptions *options, GError **error)
{
  g_autoptr (CmdbCliSession) session = g_new0 (CmdbCliSession, 1);
  g_autofree char *root = NULL;
  g_autofree char *workspace_ini = NULL;

  root = cmdb_workspace_discover (options->workspace, error);
  if (root == NULL)
    return NULL;

  session->config = cmdb_config_new ();
  workspace_ini = g_build_filename (root, "cmdbuilder.ini", NULL);
  if (!cmdb_config_load_user_layers (session->config, error)
      || !cmdb_config_merge_file (session->config, workspace_ini, FALSE, error)
      || !cmdb_config_merge_environment (session->config, NULL, error))
    return NULL;
  for (guint i = 0; options->config_overrides != NULL && options->config_overrides[i] != NULL; i++)
    if (!apply_config_override (session->config, options->config_overrides[i], error))
      return NULL;

  session->cache
      = cmdb_cache_new ((gsize) cmdb_config_get_int (session->config, "cache", "max-bytes", 0));
  session->context = cmdb_context_new (root, session->config, session->cache);
  /* Prepended last to first, so the first --schemas is searched first. */
  for (guint i = options->schemas != NULL ? g_strv_length (options->schemas) : 0; i > 0; i--)
    cmdb_context_prepend_schemas_dir (session->context, options->schemas[i - 1]);
  session->host = cmdb_host_new (session->config);
  cmdb_host_attach_context (session->host, session->context);
  return g_steal_pointer (&session);
}

void
cmdb_cli_session_free (CmdbCliSession *session)
{
  if (session == NULL)
    return;
  g_clear_object (&session->context);
  g_clear_object (&session->host);
  g_clear_pointer (&session->cache, cmdb_cache_unref);
  g_clear_pointer (&session->config, cmdb_config_unref);
  g_free (session);
}

/* Escaped copies handed out by cmdb_cli_safe(); a command prints a few. */
static GPtrArray *safe_copies;

const char *
cmdb_cli_safe (const char *text)
{
  char *copy;

  if (text == NULL)
    return "-";
  if (cmdb_text_find_unsafe (text) == NULL)
    return text;
  copy = cmdb_text_escape (text, NULL);
  if (safe_copies == NULL)
    safe_copies = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (safe_copies, copy);
  return copy;
}

void
cmdb_cli_print_problems (GPtrArray *problems)
{
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      g_autofree char *line = cmdb_problem_to_string (g_ptr_array_index (problems, i));
      fprintf (stderr, "%s\n", cmdb_cli_safe (line));
    }
}

void
cmdb_cli_print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  printf ("%s\n", text);
}
