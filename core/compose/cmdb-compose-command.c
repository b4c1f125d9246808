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

/* ---- the last composition of each config, cached ----
 *
 * Every page view includes the composition check of its command, and a
 * warm composition (the config tree cached, every file re-validated)
 * still costs about 2 M instructions, more than the rest of the page.
 * The command rarely changes between two views, so the result is a
 * derived cache entry: its computation looks up every config file and
 * directory through the cache, so an edit anywhere in the config tree
 * invalidates it. One entry per config: another command replaces it
 * instead of keeping one per command typed. */

typedef struct
{
  const char *config_dir;
  const char *config_name;
  const char *const *tokens;
  const char *signature;
} ComposeRequest;

static gpointer
compute_composition (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                     GError **error)
{
  const ComposeRequest *request = user_data;
  CmdbComposeResult *result
      = cmdb_compose (cache, request->config_dir, request->config_name, request->tokens);

  (void) key;
  (void) error;
  compose_result_set_signature (result, request->signature);
  /* The keys list dominates: about one short string per config leaf. */
  *ret_size = 4096 + 2 * strlen (request->signature);
  return result;
}

/* The overrides as one string no two lists share (length-prefixed). */
static char *
tokens_signature (const char *const *tokens)
{
  GString *signature = g_string_new (NULL);

  for (guint i = 0; tokens[i] != NULL; i++)
    g_string_append_printf (signature, "%zu:%s;", strlen (tokens[i]), tokens[i]);
  return g_string_free (signature, FALSE);
}

static CmdbComposeResult *
compose_cached (CmdbContext *context, const char *config_name, const char *const *tokens)
{
  CmdbCache *cache = cmdb_context_get_cache (context);
  g_autofree char *signature = tokens_signature (tokens);
  ComposeRequest request
      = { cmdb_context_get_configs_dir (context), config_name, tokens, signature };
  g_autofree char *key = g_strconcat ("compose:", request.config_dir, ":", config_name, NULL);
  CmdbComposeResult *result;

  result = cmdb_cache_get_derived (cache, key, compute_composition, &request,
                                   (GBoxedCopyFunc) compose_result_ref,
                                   (GDestroyNotify) cmdb_compose_result_free, NULL);
  if (result != NULL && g_strcmp0 (compose_result_get_signature (result), signature) == 0)
    return result;
  g_clear_pointer (&result, cmdb_compose_result_free);
  cmdb_cache_remove (cache, key);
  result = cmdb_cache_get_derived (cache, key, compute_composition, &request,
                                   (GBoxedCopyFunc) compose_result_ref,
                                   (GDestroyNotify) cmdb_compose_result_free, NULL);
  /* Never fails; this is only in case the cache cannot keep it. */
  if (result == NULL)
    result = cmdb_compose (cache, request.config_dir, config_name, tokens);
  return result;
}

CmdbComposeResult *
cmdb_compose_argv (CmdbContext *context, const char *config_name, GPtrArray *argv, guint n_head)
{
  g_autoptr (GPtrArray) tokens = g_ptr_array_new ();

  for (guint i = n_head; i < argv->len; i++)
    g_ptr_array_add (tokens, g_ptr_array_index (argv, i));
  g_ptr_array_add (tokens, NULL);
  return compose_cached (context, config_name, (const char *const *) tokens->pdata);
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
