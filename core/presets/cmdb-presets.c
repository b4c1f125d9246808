#define G_LOG_DOMAIN "cmdb-presets"

#include "presets/cmdb-presets-private.h"
#include "state/cmdb-state-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

/* Presets: reading them through the cache, writing and removing them. The
 * file format is deliberately the one a person writes by hand:
 *
 *   version: 1
 *   description: Receipts, small encoder
 *   values:
 *     encoder: resnet34
 *     lr: 0.0003
 *
 * Values are written as JSON scalars and flow sequences, which YAML reads
 * back with the same types. */

G_DEFINE_QUARK (cmdb - preset - error - quark, cmdb_preset_error)

#define SHARED_SUBDIR "ui_meta/presets"
#define PRIVATE_SUBDIR "presets"
#define MAX_NAME_LENGTH 64

void
cmdb_preset_free (CmdbPreset *preset)
{
  if (preset == NULL)
    return;
  g_free (preset->page_id);
  g_free (preset->name);
  g_free (preset->description);
  g_clear_pointer (&preset->values, json_object_unref);
  g_free (preset->path);
  g_free (preset);
}

JsonObject *
cmdb_preset_to_json (const CmdbPreset *preset)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "name", preset->name);
  json_object_set_string_member (object, "description", preset->description);
  json_object_set_object_member (object, "values", json_object_ref (preset->values));
  json_object_set_boolean_member (object, "private", preset->is_private);
  json_object_set_string_member (object, "path", preset->path);
  return object;
}

gboolean
cmdb_preset_check_name (const char *name, GError **error)
{
  gsize length = name != NULL ? strlen (name) : 0;

  if (length == 0 || length > MAX_NAME_LENGTH || name[0] == '.')
    goto invalid;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
      goto invalid;
  return TRUE;

invalid:
  g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_INVALID_NAME,
               "'%s' cannot name a preset: use 1 to %d letters, digits, '.', '_' or '-', not "
               "starting with '.'",
               name != NULL ? name : "", MAX_NAME_LENGTH);
  return FALSE;
}

static char *
preset_dir (CmdbContext *context, const char *page_id, gboolean is_private)
{
  if (is_private)
    return g_build_filename (cmdb_context_get_state_dir (context), PRIVATE_SUBDIR, page_id, NULL);
  return g_build_filename (cmdb_context_get_configs_dir (context), SHARED_SUBDIR, page_id, NULL);
}

/* (transfer full): the preset in @path, or NULL with @error naming the
 * file (and line) when it is not one. */
static CmdbPreset *
load_preset (CmdbCache *cache, const char *path, const char *page_id, const char *name,
             gboolean is_private, GError **error)
{
  g_autoptr (CmdbYamlDocument) document = cmdb_cache_get_yaml (cache, path, error);
  const CmdbYamlNode *root, *node;
  g_autoptr (CmdbPreset) preset = NULL;
  g_autoptr (JsonNode) values = NULL;
  gint64 version = 1;

  if (document == NULL)
    return NULL;
  root = cmdb_yaml_document_get_root (document);
  if (root == NULL || cmdb_yaml_node_get_kind (root) != CMDB_YAML_NODE_MAPPING)
    {
      g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED,
                   "%s: a preset is a mapping with description: and values:", path);
      return NULL;
    }
  node = cmdb_yaml_node_lookup (root, "version");
  if (node != NULL && (!cmdb_yaml_node_get_int (node, &version) || version < 1))
    {
      g_autofree char *where = cmdb_yaml_node_dup_location (node);

      g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED,
                   "%s: version must be a positive integer", where);
      return NULL;
    }
  if (version > CMDB_PRESET_FORMAT_VERSION)
    {
      g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED,
                   "%s: preset of format version %" G_GINT64_FORMAT
                   ", newer than this build reads (%d)",
                   path, version, CMDB_PRESET_FORMAT_VERSION);
      return NULL;
    }
  node = cmdb_yaml_node_lookup (root, "values");
  if (node != NULL && !cmdb_yaml_node_is_null (node)
      && cmdb_yaml_node_get_kind (node) != CMDB_YAML_NODE_MAPPING)
    {
      g_autofree char *where = cmdb_yaml_node_dup_location (node);

      g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED,
                   "%s: values: must map form keys to values", where);
      return NULL;
    }

  preset = g_new0 (CmdbPreset, 1);
  preset->page_id = g_strdup (page_id);
  preset->name = g_strdup (name);
  preset->is_private = is_private;
  preset->path = g_strdup (path);
  node = cmdb_yaml_node_lookup (root, "description");
  preset->description
      = g_strdup (node != NULL && cmdb_yaml_node_get_kind (node) == CMDB_YAML_NODE_SCALAR
                          && !cmdb_yaml_node_is_null (node)
                      ? cmdb_yaml_node_get_scalar (node)
                      : "");
  node = cmdb_yaml_node_lookup (root, "values");
  if (node != NULL && !cmdb_yaml_node_is_null (node))
    values = cmdb_yaml_node_to_json (node);
  preset->values
      = values != NULL ? json_object_ref (json_node_get_object (values)) : json_object_new ();
  return g_steal_pointer (&preset);
}

/* Adds the presets of one directory to @by_name (name -> preset). */
static void
add_presets (CmdbContext *context, const char *page_id, gboolean is_private, GHashTable *by_name,
             GPtrArray *problems)
{
  CmdbCache *cache = cmdb_context_get_cache (context);
  g_autofree char *dir = preset_dir (context, page_id, is_private);
  g_autoptr (CmdbDirScan) scan = NULL;
  g_autoptr (GError) error = NULL;

  scan = cmdb_cache_scan_dir (cache, dir, CMDB_SCAN_FILES, ".yaml", &error);
  if (scan == NULL)
    {
      if (problems != NULL
          && !g_error_matches (error, CMDB_CACHE_ERROR, CMDB_CACHE_ERROR_NOT_FOUND))
        g_ptr_array_add (problems, cmdb_problem_new (CMDB_SEVERITY_ERROR, dir, 0, 0, NULL, "%s",
                                                     error->message));
      return;
    }
  for (guint i = 0; i < scan->n_entries; i++)
    {
      g_autofree char *name
          = g_strndup (scan->entries[i].name, strlen (scan->entries[i].name) - strlen (".yaml"));
      g_autofree char *path = g_build_filename (dir, scan->entries[i].name, NULL);
      g_autoptr (GError) local_error = NULL;
      CmdbPreset *preset;

      if (!cmdb_preset_check_name (name, NULL))
        continue;
      preset = load_preset (cache, path, page_id, name, is_private, &local_error);
      if (preset == NULL)
        {
          if (problems != NULL)
            g_ptr_array_add (problems, cmdb_problem_new (CMDB_SEVERITY_ERROR, path, 0, 0, name,
                                                         "%s", local_error->message));
          continue;
        }
      g_hash_table_replace (by_name, preset->name, preset);
    }
}

static int
compare_presets (gconstpointer a, gconstpointer b)
{
  const CmdbPreset *preset_a = *(const CmdbPreset *const *) a;
  const CmdbPreset *preset_b = *(const CmdbPreset *const *) b;

  return strcmp (preset_a->name, preset_b->name);
}

GPtrArray *
cmdb_presets_list (CmdbContext *context, const char *page_id, GPtrArray *problems)
{
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *presets = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_preset_free);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context) && page_id != NULL, presets);

  /* Shared first, so a private preset of the same name replaces it. */
  add_presets (context, page_id, FALSE, by_name, problems);
  {
    g_autoptr (GPtrArray) shadowed
        = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_preset_free);
    g_autoptr (GHashTable) private_by_name = g_hash_table_new (g_str_hash, g_str_equal);

    add_presets (context, page_id, TRUE, private_by_name, problems);
    g_hash_table_iter_init (&iter, private_by_name);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        CmdbPreset *private_preset = value;
        CmdbPreset *shared = g_hash_table_lookup (by_name, private_preset->name);

        if (shared != NULL)
          g_ptr_array_add (shadowed, shared);
        g_hash_table_replace (by_name, private_preset->name, private_preset);
      }
  }
  g_hash_table_iter_init (&iter, by_name);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (presets, value);
  g_ptr_array_sort (presets, compare_presets);
  return presets;
}

CmdbPreset *
cmdb_presets_find (CmdbContext *context, const char *page_id, const char *name, GError **error)
{
  g_autoptr (GPtrArray) problems
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  g_autoptr (GPtrArray) presets = cmdb_presets_list (context, page_id, problems);
  g_autoptr (GString) known = g_string_new (NULL);

  for (guint i = 0; i < presets->len; i++)
    {
      CmdbPreset *preset = g_ptr_array_index (presets, i);

      if (g_str_equal (preset->name, name))
        return g_ptr_array_steal_index (presets, i);
      g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "", preset->name);
    }
  for (guint i = 0; i < problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (problems, i);

      if (g_strcmp0 (problem->subject, name) == 0)
        {
          g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED, "%s", problem->message);
          return NULL;
        }
    }
  g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_NOT_FOUND,
               "no preset '%s' for page '%s' (known: %s)", name, page_id,
               known->len > 0 ? known->str : "none");
  return NULL;
}

/* (transfer full): @text as a YAML double-quoted scalar (JSON's escapes
 * are YAML's). */
static char *
quote_scalar (const char *text)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

/* (transfer full): @value as YAML flow text: JSON, except that a double
 * is written in the fewest digits that read back the same (0.0003, not
 * 0.00029999999999999997), and keeps a point so it stays a float. */
static char *
format_value (JsonNode *value)
{
  if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_DOUBLE)
    {
      double number = json_node_get_double (value);
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      for (int precision = 1; precision <= 17; precision++)
        {
          g_autofree char *format = g_strdup_printf ("%%.%dg", precision);

          g_ascii_formatd (buffer, sizeof buffer, format, number);
          if (g_ascii_strtod (buffer, NULL) == number)
            break;
        }
      if (strpbrk (buffer, ".eEni") == NULL)
        return g_strconcat (buffer, ".0", NULL);
      return g_strdup (buffer);
    }
  if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);
      g_autoptr (GString) text = g_string_new ("[");

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *item = format_value (json_array_get_element (array, i));

          g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", item);
        }
      g_string_append_c (text, ']');
      return g_string_free (g_steal_pointer (&text), FALSE);
    }
  return json_to_string (value, FALSE);
}

char *
cmdb_preset_save (CmdbContext *context, const char *page_id, const char *name,
                  const char *description, JsonObject *values, gboolean is_private, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *quoted = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GList) members = NULL;

  if (!cmdb_preset_check_name (name, error))
    return NULL;
  if (is_private)
    {
      g_autofree char *subdir = g_build_filename (PRIVATE_SUBDIR, page_id, NULL);

      dir = cmdb_state_dir_ensure (cmdb_context_get_state_dir (context), subdir, 0700, error);
      if (dir == NULL)
        return NULL;
    }
  else
    {
      dir = preset_dir (context, page_id, FALSE);
      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED, "%s: %s", dir,
                       g_strerror (saved_errno));
          return NULL;
        }
    }

  quoted = quote_scalar (description != NULL ? description : "");
  g_string_append_printf (text, "version: %d\ndescription: %s\nvalues:", CMDB_PRESET_FORMAT_VERSION,
                          quoted);
  members = json_object_get_members (values);
  if (members == NULL)
    g_string_append (text, " {}");
  members = g_list_sort (members, (GCompareFunc) strcmp);
  for (GList *l = members; l != NULL; l = l->next)
    {
      /* A plain key (every schema key) stays plain, as a person writes it. */
      g_autofree char *key
          = strspn (l->data, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
                    == strlen (l->data)
                ? g_strdup (l->data)
                : quote_scalar (l->data);
      g_autofree char *value = format_value (json_object_get_member (values, l->data));

      g_string_append_printf (text, "\n  %s: %s", key, value);
    }
  g_string_append_c (text, '\n');

  file_name = g_strconcat (name, ".yaml", NULL);
  path = g_build_filename (dir, file_name, NULL);
  /* g_file_set_contents writes a temporary file and renames it: a reader
   * (another server) sees the old preset or the new one. */
  if (!g_file_set_contents_full (path, text->str, (gssize) text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, is_private ? 0600 : 0644, error))
    return NULL;
  return g_steal_pointer (&path);
}

char *
cmdb_preset_delete (CmdbContext *context, const char *page_id, const char *name, GError **error)
{
  g_autoptr (CmdbPreset) preset = NULL;

  if (!cmdb_preset_check_name (name, error))
    return NULL;
  preset = cmdb_presets_find (context, page_id, name, error);
  if (preset == NULL)
    return NULL;
  if (g_unlink (preset->path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_FAILED, "%s: %s", preset->path,
                   g_strerror (saved_errno));
      return NULL;
    }
  return g_strdup (preset->path);
}

GPtrArray *
cmdb_preset_apply (const CmdbPreset *preset, CmdbSchema *schema, CmdbFormInput *input)
{
  GPtrArray *skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GList) members = json_object_get_members (preset->values);
  CmdbUseCase use_case = { 0 };

  for (GList *l = members; l != NULL; l = l->next)
    if (cmdb_schema_lookup (schema, l->data) == NULL)
      g_ptr_array_add (skipped, g_strdup (l->data));
  /* Applied as a suggested setup is: the same label/value handling. */
  use_case.id = preset->name;
  use_case.parameters = preset->values;
  cmdb_form_input_apply_use_case (input, schema, &use_case);
  return skipped;
}
