#define G_LOG_DOMAIN "cmdb-sources"

/* cmdb-components.c: the component lists behind models.encoders,
 * models.backbones, models.decoders, models.heads and models.losses (see
 * cmdb-components.h for the rules, docs/sources.md for the why). */

#include "cmdbuilder.h"
#include "sources/cmdb-sources-private.h"

#include <string.h>

static const struct
{
  const char *source_id;
  CmdbComponentKind kind;
} standard_sources[] = {
  { "models.encoders", CMDB_COMPONENT_ENCODER }, { "models.backbones", CMDB_COMPONENT_BACKBONE },
  { "models.decoders", CMDB_COMPONENT_DECODER }, { "models.heads", CMDB_COMPONENT_HEAD },
  { "models.losses", CMDB_COMPONENT_LOSS },
};

/* The original's hard-coded timm names, offered when the workspace has the
 * timm_backbone encoder preset but no backbones list of its own. */
static const char *const builtin_backbones[] = {
  "resnet18",        "resnet34", "resnet50", "mobilenetv3_small_050",
  "efficientnet_b0", "vgg16_bn", "vgg19_bn",
};

const char *
cmdb_component_kind_to_string (CmdbComponentKind kind)
{
  switch (kind)
    {
      case CMDB_COMPONENT_ENCODER:
        return "encoder";
      case CMDB_COMPONENT_DECODER:
        return "decoder";
      case CMDB_COMPONENT_HEAD:
        return "head";
      case CMDB_COMPONENT_LOSS:
        return "loss";
      case CMDB_COMPONENT_BACKBONE:
        return "backbone";
      default:
        g_return_val_if_reached ("unknown");
    }
}

gboolean
cmdb_component_kind_for_source (const char *source_id, CmdbComponentKind *ret_kind)
{
  g_return_val_if_fail (source_id != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (standard_sources); i++)
    if (g_str_equal (source_id, standard_sources[i].source_id))
      {
        if (ret_kind != NULL)
          *ret_kind = standard_sources[i].kind;
        return TRUE;
      }
  return FALSE;
}

typedef struct
{
  CmdbContext *context;
  CmdbComponentKind kind;
  const char *source_id;
} ComponentRequest;

static void
fill_origin (CmdbOptionEntry *entry, JsonObject *metadata, gpointer data)
{
  (void) entry;
  json_object_set_string_member (metadata, "origin", data);
}

/* @origin is a string constant. */
static CmdbOptionEntry *
add_name (CmdbOptionList *list, const char *name, const char *file, const char *origin)
{
  g_autoptr (CmdbOptionEntry) entry = NULL;
  CmdbOptionEntry *existing = cmdb_option_list_lookup (list, name);

  if (existing != NULL)
    return existing;
  entry = cmdb_option_entry_new (name, file);
  /* Made when read: a thousand JSON objects per kind are not. */
  cmdb_option_entry_set_metadata_filler (entry, fill_origin, (gpointer) origin, NULL, FALSE);
  /* A name with no file has no description to read. */
  if (file == NULL)
    cmdb_option_entry_set_description (entry, NULL);
  return cmdb_option_list_add (list, entry);
}

static gboolean
is_missing_directory (const GError *error)
{
  return g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND)
         || g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_DIRECTORY);
}

/* The stems of @dir's *.yaml files, in bytewise name order (the original's
 * glob order was unspecified); a missing directory is a warning naming
 * @what. */
static gboolean
add_yaml_files (CmdbOptionList *list, CmdbCache *cache, const char *dir, const char *what,
                const char *origin, GError **error)
{
  g_autoptr (CmdbDirScan) scan = NULL;
  g_autoptr (GError) local_error = NULL;

  scan = cmdb_cache_scan_dir (cache, dir, CMDB_SCAN_FILES | CMDB_SCAN_NAMES_ONLY, ".yaml",
                              &local_error);
  if (scan == NULL)
    {
      if (!is_missing_directory (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      cmdb_option_list_add_problem (
          list, cmdb_problem_new (CMDB_SEVERITY_WARNING, dir, 0, 0, list->source_id,
                                  "directory does not exist; no %s are listed", what));
      return TRUE;
    }

  for (guint i = 0; i < scan->n_entries; i++)
    {
      const char *file_name = scan->entries[i].name;
      g_autofree char *stem = NULL;
      g_autofree char *path = NULL;

      if (strlen (file_name) <= strlen (".yaml"))
        continue;
      stem = g_strndup (file_name, strlen (file_name) - strlen (".yaml"));
      /* Not g_build_filename(): a thousand files per kind, and the scan's
       * names hold no separator to normalise. */
      path = g_strconcat (dir, G_DIR_SEPARATOR_S, file_name, NULL);
      add_name (list, stem, path, origin);
    }
  return TRUE;
}

/* Step 1 for encoders, decoders, heads and losses: the preset files. */
static gboolean
add_preset_files (CmdbOptionList *list, CmdbCache *cache, const char *configs_dir,
                  CmdbComponentKind kind, GError **error)
{
  const char *kind_name = cmdb_component_kind_to_string (kind);
  g_autofree char *dir = g_build_filename (configs_dir, "preset", "models", kind_name, NULL);
  g_autofree char *what = g_strdup_printf ("preset %ss", kind_name);

  return add_yaml_files (list, cache, dir, what, "preset", error);
}

gboolean
cmdb_option_list_add_yaml_dir (CmdbOptionList *list, CmdbContext *context, const char *relative_dir,
                               GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *what = NULL;

  g_return_val_if_fail (list != NULL, FALSE);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), FALSE);
  g_return_val_if_fail (relative_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_build_filename (cmdb_context_get_configs_dir (context), relative_dir, NULL);
  what = g_strdup_printf ("entries of %s", list->source_id);
  return add_yaml_files (list, cmdb_context_get_cache (context), dir, what, "file", error);
}

/* Step 1 for backbones: the workspace's own list, else the built-in one. */
static void
add_backbone_base (CmdbOptionList *list, CmdbCache *cache, const char *configs_dir)
{
  g_autofree char *list_file = g_build_filename (configs_dir, "ui_meta", "backbones.yaml", NULL);
  g_autofree char *timm_file
      = g_build_filename (configs_dir, "preset", "models", "encoder", "timm_backbone.yaml", NULL);
  g_autoptr (CmdbYamlDocument) document = NULL;
  g_autoptr (GError) local_error = NULL;
  const CmdbYamlNode *root, *names = NULL;

  document = cmdb_cache_get_yaml (cache, list_file, &local_error);
  if (document == NULL
      && !g_error_matches (local_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND))
    {
      /* The user wrote a list: a broken one is reported, not silently
       * replaced by the built-in names. */
      cmdb_option_list_add_problem (list, cmdb_problem_from_error (CMDB_SEVERITY_ERROR, local_error,
                                                                   list_file, list->source_id));
      return;
    }

  if (document != NULL)
    {
      root = cmdb_yaml_document_get_root (document);
      if (root != NULL && cmdb_yaml_node_get_kind (root) == CMDB_YAML_NODE_MAPPING)
        names = cmdb_yaml_node_lookup (root, "backbones");
      if (names == NULL || cmdb_yaml_node_get_kind (names) != CMDB_YAML_NODE_SEQUENCE)
        {
          const CmdbYamlNode *where = names != NULL ? names : root;

          cmdb_option_list_add_problem (
              list, cmdb_problem_new (CMDB_SEVERITY_ERROR, list_file,
                                      where != NULL ? cmdb_yaml_node_get_line (where) : 0,
                                      where != NULL ? cmdb_yaml_node_get_column (where) : 0,
                                      list->source_id,
                                      "expected a top-level `backbones:` list of names"));
          return;
        }
      for (guint i = 0; i < cmdb_yaml_node_get_n_children (names); i++)
        {
          const CmdbYamlNode *item = cmdb_yaml_node_get_item (names, i);
          const CmdbYamlNode *name = item, *description = NULL;
          CmdbOptionEntry *entry;

          /* An item is a name, or {name, description}. */
          if (cmdb_yaml_node_get_kind (item) == CMDB_YAML_NODE_MAPPING)
            {
              name = cmdb_yaml_node_lookup (item, "name");
              description = cmdb_yaml_node_lookup (item, "description");
            }
          if (name == NULL || cmdb_yaml_node_get_kind (name) != CMDB_YAML_NODE_SCALAR
              || cmdb_yaml_node_is_null (name))
            {
              cmdb_option_list_add_problem (
                  list, cmdb_problem_new (CMDB_SEVERITY_WARNING, list_file,
                                          cmdb_yaml_node_get_line (item),
                                          cmdb_yaml_node_get_column (item), list->source_id,
                                          "a backbone must be a name or a mapping with `name`; "
                                          "ignored"));
              continue;
            }
          entry = add_name (list, cmdb_yaml_node_get_scalar (name), NULL, "backbones-file");
          if (description != NULL && cmdb_yaml_node_get_kind (description) == CMDB_YAML_NODE_SCALAR
              && !cmdb_yaml_node_is_null (description) && entry->description == NULL)
            cmdb_option_entry_set_description (entry, cmdb_yaml_node_get_scalar (description));
        }
      return;
    }

  /* No workspace list: the original offered its timm names whenever the
   * timm_backbone preset existed. Looked up through the cache so its
   * appearance or removal rebuilds the list. */
  g_clear_error (&local_error);
  document = cmdb_cache_get_yaml (cache, timm_file, &local_error);
  if (document == NULL
      && g_error_matches (local_error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_backbones); i++)
    add_name (list, builtin_backbones[i], NULL, "built-in");
}

/* Step 2: the names the architectures give, in architecture name order. */
static void
add_architecture_names (CmdbOptionList *list, CmdbCatalog *architectures, CmdbComponentKind kind)
{
  const char *kind_name = cmdb_component_kind_to_string (kind);
  g_autofree char *components_path = g_strconcat ("components.", kind_name, NULL);
  g_autofree char *default_path = g_strconcat ("default_", kind_name, NULL);
  /* "loss" -> "compatible_losses", the others take an "s". */
  g_autofree char *compatible_path
      = g_strconcat ("compatible_", kind_name, kind == CMDB_COMPONENT_LOSS ? "es" : "s", NULL);

  for (guint i = 0; i < cmdb_catalog_get_n_items (architectures); i++)
    {
      const CmdbCatalogItem *item = cmdb_catalog_get_item (architectures, i);
      g_autoptr (GPtrArray) components = cmdb_catalog_item_get_strings (item, components_path);
      g_autoptr (GPtrArray) defaults = cmdb_catalog_item_get_strings (item, default_path);
      g_autoptr (GPtrArray) compatible = cmdb_catalog_item_get_strings (item, compatible_path);

      for (guint j = 0; j < components->len; j++)
        add_name (list, g_ptr_array_index (components, j), NULL, "architecture");
      for (guint j = 0; j < defaults->len; j++)
        add_name (list, g_ptr_array_index (defaults, j), NULL, "architecture");
      for (guint j = 0; j < compatible->len; j++)
        {
          CmdbOptionEntry *entry
              = add_name (list, g_ptr_array_index (compatible, j), NULL, "architecture");
          cmdb_option_entry_add_architecture (entry, item->name);
        }
    }
}

static gpointer
compute_component_list (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                        GError **error)
{
  const ComponentRequest *request = user_data;
  const char *configs_dir = cmdb_context_get_configs_dir (request->context);
  g_autoptr (CmdbOptionList) list = cmdb_option_list_new (request->source_id);
  g_autoptr (CmdbCatalog) architectures = NULL;
  GPtrArray *catalog_problems;

  if (request->kind == CMDB_COMPONENT_BACKBONE)
    add_backbone_base (list, cache, configs_dir);
  else if (!add_preset_files (list, cache, configs_dir, request->kind, error))
    return NULL;

  architectures = cmdb_context_get_architectures (request->context, error);
  if (architectures == NULL)
    return NULL;
  /* The list is partly made of the architectures' metadata: what went wrong
   * there explains what may be missing here. */
  catalog_problems = cmdb_catalog_get_problems (architectures);
  for (guint i = 0; i < catalog_problems->len; i++)
    cmdb_option_list_add_problem (list,
                                  cmdb_problem_copy (g_ptr_array_index (catalog_problems, i)));
  add_architecture_names (list, architectures, request->kind);

  *ret_size = cmdb_option_list_get_size (list);
  return g_steal_pointer (&list);
}

CmdbOptionList *
cmdb_component_source_list (CmdbContext *context, CmdbComponentKind kind, const char *source_id,
                            GError **error)
{
  ComponentRequest request = { context, kind, source_id };
  g_autofree char *key = NULL;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (kind <= CMDB_COMPONENT_BACKBONE, NULL);
  g_return_val_if_fail (source_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  key = g_strdup_printf ("source:%s:%s:%s", source_id, cmdb_component_kind_to_string (kind),
                         cmdb_context_get_configs_dir (context));
  return cmdb_cache_get_derived (cmdb_context_get_cache (context), key, compute_component_list,
                                 &request, (GBoxedCopyFunc) cmdb_option_list_ref,
                                 (GDestroyNotify) cmdb_option_list_unref, error);
}
