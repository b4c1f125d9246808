#define G_LOG_DOMAIN "cmdb-sources"

/* cmdb-option-source.c: option entries and lists, search and paging, and
 * the CmdbOptionSource interface (see cmdb-option-source.h). */

#include "cmdbuilder.h"
#include "sources/cmdb-sources-private.h"

#include <string.h>

/* The first argument is stringified into the quark name: no formatter may space its dashes. */
/* clang-format off */
G_DEFINE_QUARK (cmdb-option-source-error-quark, cmdb_option_source_error)
/* clang-format on */

/* ------------------------------------------------------------------ */
/* Entries */

CmdbOptionEntry *
cmdb_option_entry_new (const char *name, const char *file)
{
  CmdbOptionEntry *entry;

  g_return_val_if_fail (name != NULL, NULL);

  entry = g_new0 (CmdbOptionEntry, 1);
  entry->ref_count = 1;
  entry->name = g_strdup (name);
  entry->file = g_strdup (file);
  entry->architectures = g_ptr_array_new_with_free_func (g_free);
  return entry;
}

CmdbOptionEntry *
cmdb_option_entry_ref (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  g_atomic_int_inc (&entry->ref_count);
  return entry;
}

void
cmdb_option_entry_unref (CmdbOptionEntry *entry)
{
  g_return_if_fail (entry != NULL);

  if (!g_atomic_int_dec_and_test (&entry->ref_count))
    return;
  g_free (entry->name);
  g_free (entry->file);
  g_free (entry->description);
  g_ptr_array_unref (entry->architectures);
  g_clear_pointer (&entry->metadata, json_object_unref);
  if (entry->fill_data_free != NULL)
    entry->fill_data_free (entry->fill_data);
  g_free (entry);
}

void
cmdb_option_entry_add_architecture (CmdbOptionEntry *entry, const char *architecture)
{
  g_return_if_fail (entry != NULL);
  g_return_if_fail (architecture != NULL);

  for (guint i = 0; i < entry->architectures->len; i++)
    if (g_str_equal (g_ptr_array_index (entry->architectures, i), architecture))
      return;
  g_ptr_array_add (entry->architectures, g_strdup (architecture));
}

void
cmdb_option_entry_set_description (CmdbOptionEntry *entry, const char *description)
{
  g_return_if_fail (entry != NULL);

  g_free (entry->description);
  entry->description = g_strdup (description);
  entry->description_loaded = TRUE;
}

JsonObject *
cmdb_option_entry_ensure_metadata (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  if (entry->metadata == NULL)
    entry->metadata = json_object_new ();
  if (entry->fill_metadata != NULL)
    {
      /* Once, then the data is not needed any more. */
      entry->fill_metadata (entry, entry->metadata, entry->fill_data);
      entry->fill_metadata = NULL;
      if (entry->fill_data_free != NULL)
        entry->fill_data_free (entry->fill_data);
      entry->fill_data = NULL;
      entry->fill_data_free = NULL;
    }
  return entry->metadata;
}

void
cmdb_option_entry_set_metadata_filler (CmdbOptionEntry *entry,
                                       void (*fill) (CmdbOptionEntry *entry, JsonObject *metadata,
                                                     gpointer data),
                                       gpointer data, GDestroyNotify data_free, gboolean display)
{
  g_return_if_fail (entry != NULL);
  g_return_if_fail (entry->fill_metadata == NULL);
  entry->fill_metadata = fill;
  entry->fill_data = data;
  entry->fill_data_free = data_free;
  entry->fill_display = display;
}

JsonObject *
cmdb_option_entry_get_display_metadata (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  if (entry->fill_metadata != NULL && !entry->fill_display)
    return NULL;
  return cmdb_option_entry_get_metadata (entry);
}

/* The leading comment block of @text: the comment lines before the first
 * other line, "# " stripped, joined with spaces. Hydra's `# @package`
 * directive is not prose and is skipped. NULL when there is none. */
static char *
leading_comment_block (const char *text)
{
  g_autoptr (GString) block = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (line[0] != '#')
        {
          /* Blank lines before the block are skipped; after it they end it. */
          if (line[0] == '\0' && block->len == 0)
            continue;
          break;
        }
      line++;
      while (*line == '#' || *line == ' ' || *line == '\t')
        line++;
      if (g_str_has_prefix (line, "@package"))
        continue;
      if (*line == '\0')
        {
          if (block->len > 0)
            break;
          continue;
        }
      if (block->len > 0)
        g_string_append_c (block, ' ');
      g_string_append (block, line);
    }
  if (block->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&block), FALSE);
}

/* Cached value: the file's leading comment block as a GRefString ("" when
 * there is none, so that "none" is cached too). */
static gpointer
compute_comment_block (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                       GError **error)
{
  const char *path = user_data;
  g_autofree char *text = NULL;
  g_autofree char *block = NULL;
  gsize length = 0;

  cmdb_cache_add_dependency (cache, path);
  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  block = leading_comment_block (text);
  *ret_size = block != NULL ? strlen (block) + 1 : 1;
  return g_ref_string_new (block != NULL ? block : "");
}

static char *
read_description (CmdbCache *cache, const char *path)
{
  g_autoptr (CmdbYamlDocument) document = NULL;
  g_autofree char *key = NULL;
  char *block;

  document = cmdb_cache_get_yaml (cache, path, NULL);
  if (document != NULL)
    {
      const CmdbYamlNode *root = cmdb_yaml_document_get_root (document);
      const CmdbYamlNode *description = NULL;

      if (root != NULL && cmdb_yaml_node_get_kind (root) == CMDB_YAML_NODE_MAPPING)
        description = cmdb_yaml_node_lookup (root, "description");
      if (description != NULL && cmdb_yaml_node_get_kind (description) == CMDB_YAML_NODE_SCALAR
          && !cmdb_yaml_node_is_null (description))
        return g_strdup (cmdb_yaml_node_get_scalar (description));
    }

  key = g_strconcat ("comment-block:", path, NULL);
  block = cmdb_cache_get_derived (cache, key, compute_comment_block, (gpointer) path,
                                  (GBoxedCopyFunc) g_ref_string_acquire,
                                  (GDestroyNotify) g_ref_string_release, NULL);
  if (block == NULL)
    return NULL;
  if (block[0] == '\0')
    {
      g_ref_string_release (block);
      return NULL;
    }
  {
    char *copy = g_strdup (block);
    g_ref_string_release (block);
    return copy;
  }
}

const char *
cmdb_option_entry_get_description (CmdbOptionEntry *entry, CmdbContext *context)
{
  g_return_val_if_fail (entry != NULL, NULL);

  /* Read once: lists are rebuilt when their directory changes, so an entry
   * does not outlive a renamed file; an edit of the description alone shows
   * after the next change of the list or a cache reload. */
  if (!entry->description_loaded && entry->file != NULL && context != NULL)
    {
      entry->description_loaded = TRUE;
      entry->description = read_description (cmdb_context_get_cache (context), entry->file);
    }
  return entry->description;
}

JsonObject *
cmdb_option_entry_to_json (CmdbOptionEntry *entry, CmdbContext *context, gboolean with_description)
{
  JsonObject *object;
  JsonArray *architectures;

  g_return_val_if_fail (entry != NULL, NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "name", entry->name);
  if (entry->file != NULL)
    json_object_set_string_member (object, "file", entry->file);
  else
    json_object_set_null_member (object, "file");
  if (with_description)
    {
      const char *description = cmdb_option_entry_get_description (entry, context);

      if (description != NULL)
        json_object_set_string_member (object, "description", description);
    }
  architectures = json_array_sized_new (entry->architectures->len);
  for (guint i = 0; i < entry->architectures->len; i++)
    json_array_add_string_element (architectures, g_ptr_array_index (entry->architectures, i));
  json_object_set_array_member (object, "architectures", architectures);

  if (cmdb_option_entry_get_metadata (entry) != NULL)
    {
      /* get_members keeps insertion order, so the output is stable. */
      g_autoptr (GList) members = json_object_get_members (entry->metadata);

      for (GList *link = members; link != NULL; link = link->next)
        if (!json_object_has_member (object, link->data))
          json_object_set_member (object, link->data,
                                  json_object_dup_member (entry->metadata, link->data));
    }
  return object;
}

/* ------------------------------------------------------------------ */
/* Lists */

CmdbOptionList *
cmdb_option_list_new (const char *source_id)
{
  CmdbOptionList *list;

  g_return_val_if_fail (source_id != NULL, NULL);

  list = g_new0 (CmdbOptionList, 1);
  list->ref_count = 1;
  list->source_id = g_strdup (source_id);
  list->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_option_entry_unref);
  list->problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  list->index = g_hash_table_new (g_str_hash, g_str_equal);
  return list;
}

CmdbOptionList *
cmdb_option_list_ref (CmdbOptionList *list)
{
  g_return_val_if_fail (list != NULL, NULL);
  g_atomic_int_inc (&list->ref_count);
  return list;
}

void
cmdb_option_list_unref (CmdbOptionList *list)
{
  g_return_if_fail (list != NULL);

  if (!g_atomic_int_dec_and_test (&list->ref_count))
    return;
  g_hash_table_unref (list->index);
  g_ptr_array_unref (list->entries);
  g_ptr_array_unref (list->problems);
  g_free (list->source_id);
  g_free (list);
}

CmdbOptionEntry *
cmdb_option_list_add (CmdbOptionList *list, CmdbOptionEntry *entry)
{
  CmdbOptionEntry *existing;

  g_return_val_if_fail (list != NULL, NULL);
  g_return_val_if_fail (entry != NULL, NULL);

  existing = g_hash_table_lookup (list->index, entry->name);
  if (existing != NULL)
    return existing;
  g_ptr_array_add (list->entries, cmdb_option_entry_ref (entry));
  /* The key is the entry's own name, alive as long as the list holds it. */
  g_hash_table_insert (list->index, entry->name, entry);
  return entry;
}

CmdbOptionEntry *
cmdb_option_list_lookup (CmdbOptionList *list, const char *name)
{
  g_return_val_if_fail (list != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (list->index, name);
}

void
cmdb_option_list_add_problem (CmdbOptionList *list, CmdbProblem *problem)
{
  g_return_if_fail (list != NULL);
  g_return_if_fail (problem != NULL);

  g_ptr_array_add (list->problems, problem);
}

/* Case-insensitive substring test. Names are mostly ASCII: the ASCII path
 * avoids allocating per entry, which matters for 10,000 checkpoints. */
static gboolean
name_matches (const char *name, const char *folded_query, gboolean query_is_ascii)
{
  gsize query_length = strlen (folded_query);

  if (query_is_ascii)
    {
      for (const char *start = name; *start != '\0'; start++)
        if (g_ascii_strncasecmp (start, folded_query, query_length) == 0)
          return TRUE;
      return FALSE;
    }
  else
    {
      g_autofree char *folded_name = g_utf8_casefold (name, -1);
      return strstr (folded_name, folded_query) != NULL;
    }
}

static gboolean
is_ascii (const char *text)
{
  for (; *text != '\0'; text++)
    if ((guchar) *text >= 0x80)
      return FALSE;
  return TRUE;
}

GPtrArray *
cmdb_option_list_search (CmdbOptionList *list, const char *query, guint offset, guint limit,
                         guint *ret_total)
{
  GPtrArray *page;
  g_autofree char *folded_query = NULL;
  gboolean query_is_ascii = TRUE;
  guint total = 0;

  g_return_val_if_fail (list != NULL, NULL);

  page = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_option_entry_unref);
  if (query != NULL && query[0] != '\0')
    {
      query_is_ascii = is_ascii (query);
      folded_query = query_is_ascii ? g_ascii_strdown (query, -1) : g_utf8_casefold (query, -1);
    }

  for (guint i = 0; i < list->entries->len; i++)
    {
      CmdbOptionEntry *entry = g_ptr_array_index (list->entries, i);

      if (folded_query != NULL && !name_matches (entry->name, folded_query, query_is_ascii))
        continue;
      if (total >= offset && (limit == 0 || page->len < limit))
        g_ptr_array_add (page, cmdb_option_entry_ref (entry));
      total++;
    }
  if (ret_total != NULL)
    *ret_total = total;
  return page;
}

gsize
cmdb_option_list_get_size (CmdbOptionList *list)
{
  gsize size;

  g_return_val_if_fail (list != NULL, 0);

  size = sizeof (CmdbOptionList) + strlen (list->source_id) + 1;
  for (guint i = 0; i < list->entries->len; i++)
    {
      CmdbOptionEntry *entry = g_ptr_array_index (list->entries, i);

      /* The metadata is small and flat; a constant stands for it. */
      size += sizeof (CmdbOptionEntry) + 2 * sizeof (gpointer) + strlen (entry->name) + 1
              + (entry->file != NULL ? strlen (entry->file) + 1 : 0)
              + (entry->metadata != NULL || entry->fill_metadata != NULL ? 256 : 0);
      for (guint j = 0; j < entry->architectures->len; j++)
        size += sizeof (gpointer) + strlen (g_ptr_array_index (entry->architectures, j)) + 1;
    }
  for (guint i = 0; i < list->problems->len; i++)
    {
      CmdbProblem *problem = g_ptr_array_index (list->problems, i);

      size += sizeof (CmdbProblem) + strlen (problem->message) + 1
              + (problem->path != NULL ? strlen (problem->path) + 1 : 0);
    }
  return size;
}

void
cmdb_option_list_add_warning (CmdbOptionList *list, const char *path, const char *message)
{
  g_return_if_fail (list != NULL);
  g_return_if_fail (message != NULL);

  cmdb_option_list_add_problem (
      list, cmdb_problem_new (CMDB_SEVERITY_WARNING, path, 0, 0, list->source_id, "%s", message));
}

G_DEFINE_BOXED_TYPE (CmdbOptionEntry, cmdb_option_entry, cmdb_option_entry_ref,
                     cmdb_option_entry_unref)
G_DEFINE_BOXED_TYPE (CmdbOptionList, cmdb_option_list, cmdb_option_list_ref, cmdb_option_list_unref)

/* ------------------------------------------------------------------ */
/* The interface */

G_DEFINE_INTERFACE (CmdbOptionSource, cmdb_option_source, G_TYPE_OBJECT)

static void
cmdb_option_source_default_init (CmdbOptionSourceInterface *iface)
{
}

CmdbOptionList *
cmdb_option_source_list_options (CmdbOptionSource *self, CmdbContext *context,
                                 const char *source_id, GError **error)
{
  CmdbOptionSourceInterface *iface;
  CmdbOptionList *list;
  GError *local_error = NULL;

  g_return_val_if_fail (CMDB_IS_OPTION_SOURCE (self), NULL);
  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (source_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = CMDB_OPTION_SOURCE_GET_IFACE (self);
  g_return_val_if_fail (iface->list_options != NULL, NULL);
  list = iface->list_options (self, context, source_id, &local_error);
  /* A Python implementation that raised (without the helper base) returns
   * NULL and sets nothing: that is a failure too, never a silent NULL. */
  if (list == NULL && local_error == NULL)
    local_error = g_error_new (CMDB_OPTION_SOURCE_ERROR, CMDB_OPTION_SOURCE_ERROR_FAILED,
                               "the provider of '%s' returned no list and no error (a Python "
                               "exception? its traceback is on stderr)",
                               source_id);
  if (local_error != NULL)
    {
      g_clear_pointer (&list, cmdb_option_list_unref);
      g_propagate_error (error, local_error);
    }
  return list;
}

const char *
cmdb_option_entry_get_name (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  return entry->name;
}

const char *
cmdb_option_entry_get_file (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  return entry->file;
}

GPtrArray *
cmdb_option_entry_get_architectures (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  return entry->architectures;
}

JsonObject *
cmdb_option_entry_get_metadata (CmdbOptionEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);
  /* Filled on first need (cmdb_option_entry_set_metadata_filler()). */
  if (entry->fill_metadata != NULL)
    return cmdb_option_entry_ensure_metadata (entry);
  return entry->metadata;
}

const char *
cmdb_option_list_get_source_id (CmdbOptionList *list)
{
  g_return_val_if_fail (list != NULL, NULL);
  return list->source_id;
}

GPtrArray *
cmdb_option_list_get_entries (CmdbOptionList *list)
{
  g_return_val_if_fail (list != NULL, NULL);
  return list->entries;
}

GPtrArray *
cmdb_option_list_get_problems (CmdbOptionList *list)
{
  g_return_val_if_fail (list != NULL, NULL);
  return list->problems;
}
