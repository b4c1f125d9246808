#define G_LOG_DOMAIN "cmdb-sources"

/* cmdb-catalog.c: architectures, optimizers and preprocessing profiles
 * (see cmdb-catalog.h). Every catalog is a cached derived value: it depends
 * on the directory scan and on each file it parsed (or found absent), so it
 * is rebuilt exactly when one of those changes. */

#include "cmdbuilder.h"
#include "sources/cmdb-sources-private.h"

#include <string.h>

struct _CmdbCatalog
{
  gint ref_count;
  GPtrArray *items;     /* (element-type CmdbCatalogItem) name order */
  GHashTable *index;    /* name -> item (borrowed) */
  GPtrArray *problems;  /* (element-type CmdbProblem) */
  GPtrArray *documents; /* (element-type CmdbYamlDocument) keep the items' nodes alive */
};

static void
catalog_item_free (CmdbCatalogItem *item)
{
  g_free (item->name);
  g_free (item->config_file);
  g_free (item->meta_file);
  g_free (item);
}

static CmdbCatalog *
catalog_new (void)
{
  CmdbCatalog *catalog = g_new0 (CmdbCatalog, 1);

  catalog->ref_count = 1;
  catalog->items = g_ptr_array_new_with_free_func ((GDestroyNotify) catalog_item_free);
  catalog->index = g_hash_table_new (g_str_hash, g_str_equal);
  catalog->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  catalog->documents = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_yaml_document_unref);
  return catalog;
}

CmdbCatalog *
cmdb_catalog_ref (CmdbCatalog *catalog)
{
  g_return_val_if_fail (catalog != NULL, NULL);
  g_atomic_int_inc (&catalog->ref_count);
  return catalog;
}

void
cmdb_catalog_unref (CmdbCatalog *catalog)
{
  g_return_if_fail (catalog != NULL);

  if (!g_atomic_int_dec_and_test (&catalog->ref_count))
    return;
  g_hash_table_unref (catalog->index);
  g_ptr_array_unref (catalog->items);
  g_ptr_array_unref (catalog->problems);
  g_ptr_array_unref (catalog->documents);
  g_free (catalog);
}

guint
cmdb_catalog_get_n_items (CmdbCatalog *catalog)
{
  g_return_val_if_fail (catalog != NULL, 0);
  return catalog->items->len;
}

const CmdbCatalogItem *
cmdb_catalog_get_item (CmdbCatalog *catalog, guint index)
{
  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (index < catalog->items->len, NULL);
  return g_ptr_array_index (catalog->items, index);
}

const CmdbCatalogItem *
cmdb_catalog_lookup (CmdbCatalog *catalog, const char *name)
{
  g_return_val_if_fail (catalog != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (catalog->index, name);
}

GPtrArray *
cmdb_catalog_get_problems (CmdbCatalog *catalog)
{
  g_return_val_if_fail (catalog != NULL, NULL);
  return catalog->problems;
}

GPtrArray *
cmdb_catalog_item_get_strings (const CmdbCatalogItem *item, const char *dotted_path)
{
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  const CmdbYamlNode *node;

  g_return_val_if_fail (item != NULL, strings);
  g_return_val_if_fail (dotted_path != NULL, strings);

  if (item->ui_metadata == NULL)
    return strings;
  node = cmdb_yaml_node_lookup_path (item->ui_metadata, dotted_path);
  if (node == NULL)
    return strings;
  if (cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_SCALAR)
    {
      if (!cmdb_yaml_node_is_null (node))
        g_ptr_array_add (strings, g_strdup (cmdb_yaml_node_get_scalar (node)));
      return strings;
    }
  if (cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_SEQUENCE)
    for (guint i = 0; i < cmdb_yaml_node_get_n_children (node); i++)
      {
        const CmdbYamlNode *child = cmdb_yaml_node_get_item (node, i);

        /* Nested lists or maps are not names: skipped, as the original's
         * `in` tests would never match them. */
        if (cmdb_yaml_node_get_kind (child) == CMDB_YAML_NODE_SCALAR
            && !cmdb_yaml_node_is_null (child))
          g_ptr_array_add (strings, g_strdup (cmdb_yaml_node_get_scalar (child)));
      }
  return strings;
}

/* ------------------------------------------------------------------ */
/* Problems */

/* Parses a "<path>:<line>:<column>: " prefix of @message. */
static gboolean
parse_location_prefix (const char *message, const char *path, guint *ret_line, guint *ret_column,
                       const char **ret_rest)
{
  gsize path_length = strlen (path);
  const char *cursor;
  char *end;
  guint64 line, column;

  if (strncmp (message, path, path_length) != 0 || message[path_length] != ':')
    return FALSE;
  cursor = message + path_length + 1;
  line = g_ascii_strtoull (cursor, &end, 10);
  if (end == cursor || *end != ':')
    return FALSE;
  cursor = end + 1;
  column = g_ascii_strtoull (cursor, &end, 10);
  if (end == cursor || *end != ':')
    return FALSE;
  cursor = end + 1;
  while (*cursor == ' ')
    cursor++;
  *ret_line = (guint) line;
  *ret_column = (guint) column;
  *ret_rest = cursor;
  return TRUE;
}

CmdbProblem *
cmdb_problem_from_error (CmdbSeverity severity, const GError *error, const char *path,
                         const char *subject)
{
  guint line = 0, column = 0;
  const char *rest = error->message;

  g_return_val_if_fail (error != NULL, NULL);

  if (path != NULL && !parse_location_prefix (error->message, path, &line, &column, &rest))
    {
      /* A message "path: reason" (stat errors) must not repeat the path. */
      gsize path_length = strlen (path);

      rest = error->message;
      if (strncmp (rest, path, path_length) == 0 && rest[path_length] == ':')
        {
          rest += path_length + 1;
          while (*rest == ' ')
            rest++;
        }
    }
  return cmdb_problem_new (severity, path, line, column, subject, "%s", rest);
}

/* ------------------------------------------------------------------ */
/* Architectures and optimizers */

typedef struct
{
  const char *what; /* "architecture" / "optimizer", for messages */
  const char *configs_dir;
  const char *config_subdir; /* "model/architectures" */
  const char *meta_subdir;   /* "ui_meta/architectures" */
} CatalogRequest;

/* The ui_metadata mapping of a ui_meta document: the value of a top-level
 * `ui_metadata:` when present, else the whole (flat) mapping. */
static const CmdbYamlNode *
unwrap_ui_metadata (const CmdbYamlNode *root, const char *meta_file, const char *name,
                    GPtrArray *problems)
{
  const CmdbYamlNode *wrapped;

  if (root == NULL)
    return NULL;
  if (cmdb_yaml_node_get_kind (root) == CMDB_YAML_NODE_MAPPING)
    {
      wrapped = cmdb_yaml_node_lookup (root, "ui_metadata");
      if (wrapped == NULL)
        return root;
      if (cmdb_yaml_node_get_kind (wrapped) == CMDB_YAML_NODE_MAPPING)
        return wrapped;
      if (cmdb_yaml_node_is_null (wrapped))
        return NULL;
      root = wrapped;
    }
  g_ptr_array_add (problems,
                   cmdb_problem_new (CMDB_SEVERITY_ERROR, meta_file, cmdb_yaml_node_get_line (root),
                                     cmdb_yaml_node_get_column (root), name,
                                     "ui_metadata must be a mapping; ignored"));
  return NULL;
}

static gpointer
compute_catalog (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                 GError **error)
{
  const CatalogRequest *request = user_data;
  g_autoptr (CmdbCatalog) catalog = catalog_new ();
  g_autofree char *config_dir
      = g_build_filename (request->configs_dir, request->config_subdir, NULL);
  g_autofree char *meta_dir = g_build_filename (request->configs_dir, request->meta_subdir, NULL);
  g_autoptr (CmdbDirScan) scan = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize size = sizeof (CmdbCatalog);

  scan = cmdb_cache_scan_dir (cache, config_dir, CMDB_SCAN_FILES | CMDB_SCAN_NAMES_ONLY, ".yaml",
                              &local_error);
  if (scan == NULL)
    {
      if (!g_error_matches (local_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND)
          && !g_error_matches (local_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_DIRECTORY))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_ptr_array_add (catalog->problems,
                       cmdb_problem_new (CMDB_SEVERITY_WARNING, config_dir, 0, 0, NULL,
                                         "directory does not exist; no %ss are listed",
                                         request->what));
      *ret_size = size;
      return g_steal_pointer (&catalog);
    }

  for (guint i = 0; i < scan->n_entries; i++)
    {
      const char *file_name = scan->entries[i].name;
      CmdbCatalogItem *item;
      g_autoptr (CmdbYamlDocument) config = NULL;
      g_autoptr (CmdbYamlDocument) meta = NULL;
      g_autoptr (GError) config_error = NULL;
      g_autoptr (GError) meta_error = NULL;
      g_autofree char *meta_name = NULL;

      /* ".yaml" alone has no stem: not an item. */
      if (strlen (file_name) <= strlen (".yaml"))
        continue;
      item = g_new0 (CmdbCatalogItem, 1);
      item->name = g_strndup (file_name, strlen (file_name) - strlen (".yaml"));
      item->config_file = g_build_filename (config_dir, file_name, NULL);
      g_ptr_array_add (catalog->items, item);
      g_hash_table_insert (catalog->index, item->name, item);
      size += sizeof (CmdbCatalogItem) + 2 * strlen (item->config_file);

      config = cmdb_cache_get_yaml (cache, item->config_file, &config_error);
      if (config != NULL)
        {
          item->config = cmdb_yaml_document_get_root (config);
          g_ptr_array_add (catalog->documents, g_steal_pointer (&config));
        }
      else
        g_ptr_array_add (catalog->problems,
                         cmdb_problem_from_error (CMDB_SEVERITY_ERROR, config_error,
                                                  item->config_file, item->name));

      /* The metadata file is optional; looking it up through the cache
       * records its absence, so creating it later is noticed. */
      meta_name = g_strconcat (item->name, ".yaml", NULL);
      item->meta_file = g_build_filename (meta_dir, meta_name, NULL);
      meta = cmdb_cache_get_yaml (cache, item->meta_file, &meta_error);
      if (meta != NULL)
        {
          item->ui_metadata = unwrap_ui_metadata (cmdb_yaml_document_get_root (meta),
                                                  item->meta_file, item->name, catalog->problems);
          g_ptr_array_add (catalog->documents, g_steal_pointer (&meta));
        }
      else if (g_error_matches (meta_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND))
        g_clear_pointer (&item->meta_file, g_free);
      else
        g_ptr_array_add (
            catalog->problems,
            cmdb_problem_from_error (CMDB_SEVERITY_ERROR, meta_error, item->meta_file, item->name));
    }

  /* The documents are shared with the cache's own entries: only the
   * catalog's bookkeeping counts here. */
  *ret_size = size;
  return g_steal_pointer (&catalog);
}

static CmdbCatalog *
get_catalog (CmdbContext *context, CatalogRequest *request, GError **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  request->configs_dir = cmdb_context_get_configs_dir (context);
  key = g_strdup_printf ("catalog:%ss:%s", request->what, request->configs_dir);
  return cmdb_cache_get_derived (cmdb_context_get_cache (context), key, compute_catalog, request,
                                 (GBoxedCopyFunc) cmdb_catalog_ref,
                                 (GDestroyNotify) cmdb_catalog_unref, error);
}

CmdbCatalog *
cmdb_context_get_architectures (CmdbContext *context, GError **error)
{
  CatalogRequest request = { "architecture", NULL, "model/architectures", "ui_meta/architectures" };

  return get_catalog (context, &request, error);
}

CmdbCatalog *
cmdb_context_get_optimizers (CmdbContext *context, GError **error)
{
  CatalogRequest request = { "optimizer", NULL, "model/optimizers", "ui_meta/optimizers" };

  return get_catalog (context, &request, error);
}

/* ------------------------------------------------------------------ */
/* Preprocessing profiles */

/* The cached form: profiles and the problems met reading them. */
typedef struct
{
  gint ref_count;
  GPtrArray *profiles; /* (element-type CmdbProfile) */
  GPtrArray *problems; /* (element-type CmdbProblem) */
} ProfileSet;

static ProfileSet *
profile_set_ref (ProfileSet *set)
{
  g_atomic_int_inc (&set->ref_count);
  return set;
}

static void
profile_set_unref (ProfileSet *set)
{
  if (!g_atomic_int_dec_and_test (&set->ref_count))
    return;
  g_ptr_array_unref (set->profiles);
  g_ptr_array_unref (set->problems);
  g_free (set);
}

void
cmdb_profile_free (CmdbProfile *profile)
{
  if (profile == NULL)
    return;
  g_free (profile->key);
  g_free (profile->label);
  g_free (profile->description);
  g_ptr_array_unref (profile->overrides);
  g_free (profile);
}

static CmdbProfile *
profile_copy (const CmdbProfile *profile)
{
  CmdbProfile *copy = g_new0 (CmdbProfile, 1);

  copy->key = g_strdup (profile->key);
  copy->label = g_strdup (profile->label);
  copy->description = g_strdup (profile->description);
  copy->overrides = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < profile->overrides->len; i++)
    g_ptr_array_add (copy->overrides, g_strdup (g_ptr_array_index (profile->overrides, i)));
  return copy;
}

/* "lens_style" -> "Lens Style": underscores to spaces, each word
 * capitalised, as the original's default label. */
static char *
title_case (const char *key)
{
  GString *label = g_string_new (NULL);
  gboolean word_start = TRUE;

  for (const char *cursor = key; *cursor != '\0'; cursor++)
    {
      char c = *cursor == '_' ? ' ' : *cursor;

      if (c == ' ')
        word_start = TRUE;
      else if (word_start)
        {
          c = g_ascii_toupper (c);
          word_start = FALSE;
        }
      else
        c = g_ascii_tolower (c);
      g_string_append_c (label, c);
    }
  return g_string_free (label, FALSE);
}

static const char *
scalar_string (const CmdbYamlNode *node)
{
  if (node == NULL || cmdb_yaml_node_get_kind (node) != CMDB_YAML_NODE_SCALAR
      || cmdb_yaml_node_is_null (node))
    return NULL;
  return cmdb_yaml_node_get_scalar (node);
}

static CmdbProfile *
profile_new_none (void)
{
  CmdbProfile *profile = g_new0 (CmdbProfile, 1);

  profile->key = g_strdup ("none");
  profile->label = g_strdup ("No preprocessing (dataset defaults)");
  profile->description = g_strdup ("");
  profile->overrides = g_ptr_array_new_with_free_func (g_free);
  return profile;
}

static CmdbProfile *
profile_from_node (const char *key, const CmdbYamlNode *value, const char *path,
                   GPtrArray *problems)
{
  CmdbProfile *profile = g_new0 (CmdbProfile, 1);
  const CmdbYamlNode *overrides = NULL;
  const char *label = NULL, *description = NULL;

  profile->overrides = g_ptr_array_new_with_free_func (g_free);
  profile->key = g_strdup (key);
  /* A non-mapping entry counts as {} (the original's rule). */
  if (value != NULL && cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_MAPPING)
    {
      label = scalar_string (cmdb_yaml_node_lookup (value, "label"));
      description = scalar_string (cmdb_yaml_node_lookup (value, "description"));
      overrides = cmdb_yaml_node_lookup (value, "overrides");
    }
  profile->label = label != NULL ? g_strdup (label) : title_case (key);
  profile->description = g_strdup (description != NULL ? description : "");
  if (overrides != NULL && cmdb_yaml_node_get_kind (overrides) == CMDB_YAML_NODE_SEQUENCE)
    for (guint i = 0; i < cmdb_yaml_node_get_n_children (overrides); i++)
      {
        const CmdbYamlNode *item = cmdb_yaml_node_get_item (overrides, i);
        const char *text = scalar_string (item);

        if (text != NULL && cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_SCALAR)
          g_ptr_array_add (profile->overrides, g_strdup (text));
        else
          g_ptr_array_add (problems, cmdb_problem_new (CMDB_SEVERITY_WARNING, path,
                                                       cmdb_yaml_node_get_line (item),
                                                       cmdb_yaml_node_get_column (item), key,
                                                       "an override must be a string; ignored"));
      }
  else if (overrides != NULL && !cmdb_yaml_node_is_null (overrides))
    g_ptr_array_add (problems, cmdb_problem_new (CMDB_SEVERITY_WARNING, path,
                                                 cmdb_yaml_node_get_line (overrides),
                                                 cmdb_yaml_node_get_column (overrides), key,
                                                 "overrides must be a list; ignored"));
  return profile;
}

static gpointer
compute_profiles (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                  GError **error)
{
  const char *path = user_data;
  ProfileSet *set = g_new0 (ProfileSet, 1);
  g_autoptr (CmdbYamlDocument) document = NULL;
  g_autoptr (GError) local_error = NULL;
  const CmdbYamlNode *root, *profiles = NULL;
  gboolean has_none = FALSE;

  set->ref_count = 1;
  set->profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_profile_free);
  set->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);

  document = cmdb_cache_get_yaml (cache, path, &local_error);
  if (document == NULL
      && !g_error_matches (local_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND))
    g_ptr_array_add (set->problems,
                     cmdb_problem_from_error (CMDB_SEVERITY_ERROR, local_error, path, NULL));

  root = document != NULL ? cmdb_yaml_document_get_root (document) : NULL;
  if (root != NULL && cmdb_yaml_node_get_kind (root) == CMDB_YAML_NODE_MAPPING)
    profiles = cmdb_yaml_node_lookup (root, "profiles");
  if (profiles != NULL && cmdb_yaml_node_get_kind (profiles) != CMDB_YAML_NODE_MAPPING)
    {
      if (!cmdb_yaml_node_is_null (profiles))
        g_ptr_array_add (set->problems,
                         cmdb_problem_new (CMDB_SEVERITY_ERROR, path,
                                           cmdb_yaml_node_get_line (profiles),
                                           cmdb_yaml_node_get_column (profiles), "profiles",
                                           "profiles must be a mapping; ignored"));
      profiles = NULL;
    }

  for (guint i = 0; profiles != NULL && i < cmdb_yaml_node_get_n_children (profiles); i++)
    {
      const char *profile_key
          = cmdb_yaml_node_get_scalar (cmdb_yaml_node_get_key_node (profiles, i));

      if (g_str_equal (profile_key, "none"))
        has_none = TRUE;
      g_ptr_array_add (set->profiles,
                       profile_from_node (profile_key, cmdb_yaml_node_get_value_node (profiles, i),
                                          path, set->problems));
    }
  /* The "none" choice always exists; first, because it is the default. */
  if (!has_none)
    g_ptr_array_insert (set->profiles, 0, profile_new_none ());

  *ret_size = sizeof (ProfileSet) + set->profiles->len * 256;
  return set;
}

GPtrArray *
cmdb_context_get_profiles (CmdbContext *context, GPtrArray *problems, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;
  ProfileSet *set;
  GPtrArray *profiles;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = g_build_filename (cmdb_context_get_configs_dir (context), "ui_meta",
                           "preprocessing_profiles.yaml", NULL);
  key = g_strconcat ("catalog:profiles:", path, NULL);
  set = cmdb_cache_get_derived (cmdb_context_get_cache (context), key, compute_profiles, path,
                                (GBoxedCopyFunc) profile_set_ref,
                                (GDestroyNotify) profile_set_unref, error);
  if (set == NULL)
    return NULL;

  profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_profile_free);
  for (guint i = 0; i < set->profiles->len; i++)
    g_ptr_array_add (profiles, profile_copy (g_ptr_array_index (set->profiles, i)));
  for (guint i = 0; problems != NULL && i < set->problems->len; i++)
    g_ptr_array_add (problems, cmdb_problem_copy (g_ptr_array_index (set->problems, i)));
  profile_set_unref (set);
  return profiles;
}

/* A boxed type, so bindings (Python plugins) can hold it. */
G_DEFINE_BOXED_TYPE (CmdbCatalog, cmdb_catalog, cmdb_catalog_ref, cmdb_catalog_unref)
