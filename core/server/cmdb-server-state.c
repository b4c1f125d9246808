#define G_LOG_DOMAIN "cmdb-server"

#include "cmdb-server-private.h"

#include <errno.h>
#include <glib/gstdio.h>

/* Where the UI keeps its state: <state>/ui/pages/<id>.json and
 * <state>/ui/server.json. The run history of core/run lives beside it. */
static char *
page_file (const char *state_dir, const char *page_id)
{
  g_autofree char *name = g_strconcat (page_id, ".json", NULL);

  return g_build_filename (state_dir, "ui", "pages", name, NULL);
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Writes @text to @path atomically (g_file_set_contents writes a temporary
 * file in the same directory and renames it over @path). */
static gboolean
write_atomically (const char *path, const char *text, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

CmdbPageStore *
cmdb_page_store_load (const char *state_dir, const char *page_id)
{
  g_autoptr (CmdbPageStore) store = g_new0 (CmdbPageStore, 1);
  g_autofree char *path = page_file (state_dir, page_id);
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;
  JsonNode *node;

  store->page_id = g_strdup (page_id);
  store->values = json_object_new ();
  store->suffix = -1;
  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("%s: %s", path, error->message);
      return g_steal_pointer (&store);
    }
  if (!json_parser_load_from_data (parser, text, -1, &error)
      || JSON_NODE_TYPE (json_parser_get_root (parser)) != JSON_NODE_OBJECT)
    {
      g_warning ("%s: not a page state, starting afresh (%s)", path,
                 error != NULL ? error->message : "not an object");
      return g_steal_pointer (&store);
    }
  root = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (root, "values");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      json_object_unref (store->values);
      store->values = json_object_ref (json_node_get_object (node));
    }
  store->edited = g_strdup (member_string (root, "edited"));
  store->generated = g_strdup (member_string (root, "generated"));
  store->previous = g_strdup (member_string (root, "previous"));
  store->active_use_case = g_strdup (member_string (root, "active_use_case"));
  node = json_object_get_member (root, "suffix");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    store->suffix = json_node_get_boolean (node) ? 1 : 0;
  node = json_object_get_member (root, "last_run");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    store->last_run = json_node_copy (node);
  /* Compare against our own serialisation, so an equal state is not
   * rewritten just because the file was formatted differently. */
  {
    g_autoptr (JsonNode) again = cmdb_page_store_to_json (store);
    store->written = json_to_string (again, TRUE);
  }
  return g_steal_pointer (&store);
}

void
cmdb_page_store_free (CmdbPageStore *store)
{
  if (store == NULL)
    return;
  g_free (store->page_id);
  g_clear_pointer (&store->values, json_object_unref);
  g_free (store->edited);
  g_free (store->generated);
  g_free (store->previous);
  g_free (store->active_use_case);
  g_clear_pointer (&store->last_run, json_node_unref);
  g_free (store->written);
  g_free (store);
}

void
cmdb_page_store_reset (CmdbPageStore *store)
{
  json_object_unref (store->values);
  store->values = json_object_new ();
  g_clear_pointer (&store->edited, g_free);
  g_clear_pointer (&store->active_use_case, g_free);
  store->suffix = -1;
}

static void
add_nullable_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

JsonNode *
cmdb_page_store_to_json (CmdbPageStore *store)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) values = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (values, store->values);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "page");
  json_builder_add_string_value (builder, store->page_id);
  json_builder_set_member_name (builder, "values");
  json_builder_add_value (builder, g_steal_pointer (&values));
  add_nullable_string (builder, "edited", store->edited);
  add_nullable_string (builder, "generated", store->generated);
  add_nullable_string (builder, "previous", store->previous);
  add_nullable_string (builder, "active_use_case", store->active_use_case);
  /* null: the page's default ([command] suffix, else X-Suffix) applies. */
  json_builder_set_member_name (builder, "suffix");
  if (store->suffix < 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_boolean_value (builder, store->suffix == 1);
  json_builder_set_member_name (builder, "last_run");
  if (store->last_run != NULL)
    json_builder_add_value (builder, json_node_copy (store->last_run));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gboolean
cmdb_page_store_save (CmdbPageStore *store, const char *state_dir, gboolean *ret_written,
                      GError **error)
{
  g_autoptr (JsonNode) node = cmdb_page_store_to_json (store);
  g_autofree char *text = json_to_string (node, TRUE);
  g_autofree char *path = NULL;

  if (g_strcmp0 (text, store->written) == 0)
    {
      if (ret_written != NULL)
        *ret_written = FALSE;
      return TRUE;
    }
  path = page_file (state_dir, store->page_id);
  if (!write_atomically (path, text, error))
    return FALSE;
  g_free (store->written);
  store->written = g_steal_pointer (&text);
  if (ret_written != NULL)
    *ret_written = TRUE;
  return TRUE;
}

char *
cmdb_server_state_load_last_page (const char *state_dir)
{
  g_autofree char *path = g_build_filename (state_dir, "ui", "server.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!g_file_get_contents (path, &text, NULL, NULL)
      || !json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return g_strdup (member_string (json_node_get_object (root), "last_page"));
}

gboolean
cmdb_server_state_save_last_page (const char *state_dir, const char *page_id, GError **error)
{
  g_autofree char *current = cmdb_server_state_load_last_page (state_dir);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;

  if (g_strcmp0 (current, page_id) == 0)
    return TRUE;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "last_page");
  json_builder_add_string_value (builder, page_id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);
  path = g_build_filename (state_dir, "ui", "server.json", NULL);
  return write_atomically (path, text, error);
}
