#define G_LOG_DOMAIN "cmdb-context"

#include "cmdbuilder.h"
#include "cmdb-build-config.h"
#include "base/cmdb-paths-private.h"
#include "cache/cmdb-parse-index-private.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-workspace-error-quark, cmdb_workspace_error)
/* clang-format on */

struct _CmdbContext
{
  GObject parent_instance;
  char *root;
  char *configs_dir;
  char *outputs_dir;
  char *state_dir;
  GPtrArray *schema_dirs; /* utf8: --schemas, then [workspace] schemas */
  char *bundled_schemas_dir;
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbSourceResolver resolver;
  gpointer resolver_data;
  GDestroyNotify resolver_destroy;
};

G_DEFINE_FINAL_TYPE (CmdbContext, cmdb_context, G_TYPE_OBJECT)

static void
cmdb_context_finalize (GObject *object)
{
  CmdbContext *self = CMDB_CONTEXT (object);

  if (self->resolver_destroy != NULL)
    self->resolver_destroy (self->resolver_data);
  g_free (self->root);
  g_free (self->configs_dir);
  g_free (self->outputs_dir);
  g_free (self->state_dir);
  g_clear_pointer (&self->schema_dirs, g_ptr_array_unref);
  g_free (self->bundled_schemas_dir);
  g_clear_pointer (&self->config, cmdb_config_unref);
  g_clear_pointer (&self->cache, cmdb_cache_unref);
  G_OBJECT_CLASS (cmdb_context_parent_class)->finalize (object);
}

static void
cmdb_context_class_init (CmdbContextClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cmdb_context_finalize;
}

static void
cmdb_context_init (CmdbContext *self)
{
}

/* The working directory as the user sees it: $PWD when it names the same
 * directory as getcwd() (it keeps symlinks, which we must not resolve),
 * else getcwd(). */
static char *
logical_current_dir (void)
{
  const char *pwd = g_getenv ("PWD");
  g_autofree char *physical = g_get_current_dir ();
  GStatBuf a, b;

  if (pwd != NULL && g_path_is_absolute (pwd) && g_stat (pwd, &a) == 0 && g_stat (physical, &b) == 0
      && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    return g_canonicalize_filename (pwd, NULL);
  return g_steal_pointer (&physical);
}

const char *
cmdb_workspace_find_marker (const char *dir)
{
  static const char *const markers[] = { "pyproject.toml", "requirements.txt", "setup.py", ".git" };

  g_return_val_if_fail (dir != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autofree char *path = g_build_filename (dir, markers[i], NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return markers[i];
    }
  return NULL;
}

char *
cmdb_workspace_discover (const char *explicit_dir, GError **error)
{
  g_autofree char *cwd = logical_current_dir ();
  g_autofree char *dir = NULL;

  if (explicit_dir != NULL)
    {
      /* Absolute, "." and ".." folded, symlinks kept: the path appears in
       * commands exactly as the user knows it. */
      char *root = g_canonicalize_filename (explicit_dir, cwd);
      if (!g_file_test (root, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, CMDB_WORKSPACE_ERROR, CMDB_WORKSPACE_ERROR_NOT_FOUND,
                       "workspace %s: not a directory", root);
          g_free (root);
          return NULL;
        }
      return root;
    }

  dir = g_strdup (cwd);
  for (;;)
    {
      g_autofree char *parent = NULL;

      if (cmdb_workspace_find_marker (dir) != NULL)
        return g_steal_pointer (&dir);
      parent = g_path_get_dirname (dir);
      if (g_str_equal (parent, dir))
        break;
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }
  /* No marker anywhere up: the working directory itself, as the original. */
  return g_steal_pointer (&cwd);
}

static char *
resolve_dir (const char *root, const char *configured)
{
  if (configured == NULL)
    return NULL;
  return g_canonicalize_filename (configured, root);
}

CmdbContext *
cmdb_context_new (const char *root, CmdbConfig *config, CmdbCache *cache)
{
  CmdbContext *self;
  GPtrArray *schemas;

  g_return_val_if_fail (root != NULL && g_path_is_absolute (root), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (cache != NULL, NULL);

  self = g_object_new (CMDB_TYPE_CONTEXT, NULL);
  self->root = g_strdup (root);
  self->config = cmdb_config_ref (config);
  self->cache = cmdb_cache_ref (cache);
  self->configs_dir = resolve_dir (root, cmdb_config_get_string (config, "workspace", "configs"));
  self->outputs_dir = resolve_dir (root, cmdb_config_get_string (config, "workspace", "outputs"));
  self->state_dir = resolve_dir (root, cmdb_config_get_string (config, "workspace", "state"));
  schemas = cmdb_config_get_list (config, "workspace", "schemas");
  self->schema_dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < schemas->len; i++)
    g_ptr_array_add (self->schema_dirs, resolve_dir (root, g_ptr_array_index (schemas, i)));
  self->bundled_schemas_dir = cmdb_default_schemas_dir ();
  /* A fresh process reads the workspace's configs from the parse index
   * instead of parsing each file again (docs/cache.md, "The parse index"). */
  if (self->state_dir != NULL && self->configs_dir != NULL)
    cmdb_cache_use_parse_index (cache, self->state_dir, self->configs_dir);
  return self;
}

const char *
cmdb_context_get_root (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->root;
}

const char *
cmdb_context_get_configs_dir (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->configs_dir;
}

const char *
cmdb_context_get_outputs_dir (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->outputs_dir;
}

const char *
cmdb_context_get_state_dir (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->state_dir;
}

const char *
cmdb_context_get_schemas_dir (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->schema_dirs->len > 0 ? g_ptr_array_index (self->schema_dirs, 0)
                                    : self->bundled_schemas_dir;
}

GPtrArray *
cmdb_context_get_schema_dirs (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->schema_dirs;
}

const char *
cmdb_context_get_bundled_schemas_dir (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->bundled_schemas_dir;
}

void
cmdb_context_prepend_schemas_dir (CmdbContext *self, const char *dir)
{
  g_return_if_fail (CMDB_IS_CONTEXT (self));
  g_return_if_fail (dir != NULL);
  g_ptr_array_insert (self->schema_dirs, 0, g_canonicalize_filename (dir, NULL));
}

CmdbConfig *
cmdb_context_get_config (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->config;
}

CmdbCache *
cmdb_context_get_cache (CmdbContext *self)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  return self->cache;
}

CmdbOptionList *
cmdb_context_get_options (CmdbContext *self, const char *source_id, GError **error)
{
  g_return_val_if_fail (CMDB_IS_CONTEXT (self), NULL);
  g_return_val_if_fail (source_id != NULL, NULL);

  if (self->resolver == NULL)
    {
      g_set_error (error, CMDB_WORKSPACE_ERROR, CMDB_WORKSPACE_ERROR_FAILED,
                   "option source '%s': no plugin host is attached to this context", source_id);
      return NULL;
    }
  return self->resolver (self, source_id, self->resolver_data, error);
}

void
cmdb_context_set_source_resolver (CmdbContext *self, CmdbSourceResolver resolver,
                                  gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (CMDB_IS_CONTEXT (self));

  if (self->resolver_destroy != NULL)
    self->resolver_destroy (self->resolver_data);
  self->resolver = resolver;
  self->resolver_data = user_data;
  self->resolver_destroy = destroy;
}
