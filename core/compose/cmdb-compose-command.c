#define G_LOG_DOMAIN "cmdb-compose"

/* cmdb-compose-command.c: the composition check of a workspace's commands
 * (the page's primary config, the workspace's configs directory, the
 * overrides after the launcher and the runner). */

#include <string.h>

#include "cmdbuilder.h"
#include "compose/cmdb-compose-private.h"

char *
cmdb_compose_config_name_for_page (CmdbContext *context, const char *page_id)
{
  (void) context;
  return g_strdup (page_id);
}

gboolean
cmdb_compose_has_config (CmdbCache *cache, const char *config_dir, const char *config_name)
{
  ComposeRepo *repo = compose_repo_new (cache, config_dir);
  gboolean exists = compose_repo_config_exists (repo, config_name);

  compose_repo_free (repo);
  return exists;
}

CmdbComposeResult *
cmdb_compose_argv (CmdbContext *context, const char *config_name, GPtrArray *argv, guint n_head)
{
  g_autoptr (GPtrArray) tokens = g_ptr_array_new ();

  for (guint i = n_head; i < argv->len; i++)
    g_ptr_array_add (tokens, g_ptr_array_index (argv, i));
  g_ptr_array_add (tokens, NULL);
  return cmdb_compose (cmdb_context_get_cache (context), cmdb_context_get_configs_dir (context),
                       config_name, (const char *const *) tokens->pdata);
}

CmdbComposeResult *
cmdb_compose_command (CmdbContext *context, const char *config_name, CmdbCommand *command)
{
  g_autoptr (GPtrArray) tokens = g_ptr_array_new ();

  for (guint i = 0; i < command->constant_overrides->len; i++)
    g_ptr_array_add (tokens, g_ptr_array_index (command->constant_overrides, i));
  for (guint i = 0; i < command->overrides->len; i++)
    g_ptr_array_add (tokens, g_ptr_array_index (command->overrides, i));
  return cmdb_compose_argv (context, config_name, tokens, 0);
}
