#define G_LOG_DOMAIN "cmdb-cli"

#include "cli.h"
#include "base/cmdb-text-private.h"

#include <stdio.h>
#include <string.h>

/* Describe mode (cmdb_cli_describe_command): set while a subcommand is run
 * only to hand back its --help text. */
static gboolean describing;
static char *described_help;

static gboolean
on_quiet (const char *option_name, const char *value, gpointer data, GError **error)
{
  cmdb_cli_set_quiet (TRUE);
  return TRUE;
}

static gboolean
on_color (const char *option_name, const char *value, gpointer data, GError **error)
{
  return cmdb_cli_set_color (value, error);
}

void
cmdb_cli_add_common_options (GOptionContext *option_context, CmdbCliCommonOptions *options)
{
  const GOptionEntry common[]
      = { { "workspace", 'w', 0, G_OPTION_ARG_FILENAME, &options->workspace,
            "Workspace directory (default: the first directory upwards holding pyproject.toml, "
            "requirements.txt, setup.py or .git)",
            "DIR" },
          { "schemas", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &options->schemas,
            "Look for page schemas in DIR first, before [workspace] schemas, the page plugin's "
            "directory and the bundled ones (repeatable; the first given is searched first)",
            "DIR" },
          { "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &options->config_overrides,
            "Set a configuration key for this run (repeatable)", "GROUP.KEY=VALUE" },
          { "quiet", 'q', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_quiet,
            "Do not say which workspace was found", NULL },
          { "color", 0, 0, G_OPTION_ARG_CALLBACK, on_color,
            "Colour errors and warnings: auto (on a terminal, unless NO_COLOR is set), always or "
            "never",
            "WHEN" },
          { NULL } };

  g_option_context_add_main_entries (option_context, common, NULL);
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

  if (describing)
    {
      described_help = g_option_context_get_help (option_context, TRUE, NULL);
      return FALSE;
    }
  if (!g_option_context_parse (option_context, argc, argv, &error))
    {
      cmdb_cli_error ("%s", error->message);
      fprintf (stderr, "Run with --help for the options.\n");
      return FALSE;
    }
  return TRUE;
}

gboolean
cmdb_cli_parse_page_options (GOptionContext *option_context, CmdbCliCommonOptions *common,
                             int *argc, char ***argv, int *ret_status)
{
  gboolean help = FALSE;
  const GOptionEntry help_entry[] = { { "help", 'h', 0, G_OPTION_ARG_NONE, &help,
                                        "Show the options and the page's keys", NULL },
                                      { NULL } };
  g_autofree char *text = NULL;
  g_autoptr (CmdbCliSession) session = NULL;
  g_autoptr (GError) error = NULL;

  *ret_status = 1;
  /* GLib's own --help would exit before the workspace options are read:
   * ours is an ordinary flag, handled once they are. */
  g_option_context_set_help_enabled (option_context, FALSE);
  g_option_context_add_main_entries (option_context, help_entry, NULL);
  if (!cmdb_cli_parse (option_context, argc, argv))
    return FALSE;
  if (!help)
    return TRUE;
  text = g_option_context_get_help (option_context, TRUE, NULL);
  printf ("%s", text);
  *ret_status = 0;
  if (*argc < 2)
    {
      printf ("Name a page (%s PAGE --help) to list its keys.\n", g_get_prgname ());
      return FALSE;
    }
  printf ("\n");
  fflush (stdout);
  session = cmdb_cli_session_open (common, &error);
  if (session == NULL || !cmdb_cli_print_page_keys (session, (*argv)[1], &error))
    {
      cmdb_cli_error ("%s", error->message);
      *ret_status = 1;
    }
  return FALSE;
}

char *
cmdb_cli_describe_command (const CmdbCliCommand *command)
{
  char *argv[] = { (char *) command->name, NULL };
  g_autofree char *prgname = g_strdup (g_get_prgname ());
  g_autofree char *described_prgname = g_strconcat ("cmdbuilder ", command->name, NULL);

  g_return_val_if_fail (!describing, NULL);
  /* The usage line names the subcommand as people type it. */
  g_set_prgname (described_prgname);
  describing = TRUE;
  command->run (1, argv);
  describing = FALSE;
  g_set_prgname (prgname);
  return g_steal_pointer (&described_help);
}

/* Why this directory: named on stderr so nobody wonders which project a
 * command was built for. */
static void
note_workspace (CmdbCliCommonOptions *options, const char *root)
{
  const char *marker;

  if (options->workspace != NULL || options->json_output)
    return;
  marker = cmdb_workspace_find_marker (root);
  if (marker != NULL)
    cmdb_cli_note ("workspace: %s (found %s)", root, marker);
  else
    cmdb_cli_note ("workspace: %s (the working directory: no pyproject.toml, requirements.txt, "
                   "setup.py or .git above it)",
                   root);
}

/* A directory without the Hydra config tree is not a project we can build
 * commands for: say what was looked for and how to choose another. */
static gboolean
check_config_tree (CmdbCliCommonOptions *options, CmdbContext *context, GError **error)
{
  const char *root = cmdb_context_get_root (context);
  const char *configs = cmdb_context_get_configs_dir (context);
  g_autofree char *demo = g_build_filename (root, "examples", "ocr-workspace", "configs", NULL);
  g_autofree char *hint = NULL;

  if (options->any_directory || g_file_test (configs, G_FILE_TEST_IS_DIR))
    return TRUE;
  /* In a clone of Command Builder itself, point at its demo workspace. */
  if (g_file_test (demo, G_FILE_TEST_IS_DIR))
    hint = g_strdup (" (here: --workspace examples/ocr-workspace, the bundled demo)");
  g_set_error (error, CMDB_WORKSPACE_ERROR, CMDB_WORKSPACE_ERROR_NOT_FOUND,
               "%s is not a Hydra project: no config tree %s ([workspace] configs). Run from "
               "inside a workspace (a directory with pyproject.toml, requirements.txt, setup.py "
               "or .git, holding configs/), or name one with --workspace DIR%s",
               root, configs, hint != NULL ? hint : "");
  return FALSE;
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
  if (!check_config_tree (options, session->context, error))
    return NULL;
  note_workspace (options, root);
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
cmdb_cli_print_json (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  printf ("%s\n", text);
}
