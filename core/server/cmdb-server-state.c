#define G_LOG_DOMAIN "cmdb-server"

#include "cmdb-server-private.h"
#include "state/cmdb-state-private.h"

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

/* Writes @object as the state file @kind <state_dir>/@subdir/@name (a
 * versioned, atomic write: cmdb-state-private.h), creating @subdir. */
static gboolean
write_state_file (const char *state_dir, const char *subdir, const char *name, CmdbStateKind kind,
                  JsonObject *object, GError **error)
{
  g_autofree char *dir = cmdb_state_dir_ensure (state_dir, subdir, 0700, error);
  g_autofree char *path = NULL;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, name, NULL);
  return cmdb_state_file_save (kind, path, object, error);
}

CmdbPageStore *
cmdb_page_store_load (const char *state_dir, const char *page_id)
{
  g_autoptr (CmdbPageStore) store = g_new0 (CmdbPageStore, 1);
  g_autofree char *path = page_file (state_dir, page_id);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) root = NULL;
  JsonNode *node;

  store->page_id = g_strdup (page_id);
  store->values = json_object_new ();
  store->suffix = -1;
  root = cmdb_state_file_load (CMDB_STATE_PAGE_STATE, path, NULL, &error);
  if (root == NULL)
    {
      if (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NOT_FOUND))
        return g_steal_pointer (&store);
      /* The page starts from its defaults; a newer build's file is never
       * written over, an unreadable one is kept beside the next write. */
      cmdb_state_report (error);
      if (g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER))
        store->frozen = TRUE;
      else
        store->unreadable = TRUE;
      return g_steal_pointer (&store);
    }
  node = json_object_get_member (root, "values");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      json_object_unref (store->values);
      store->values = json_object_ref (json_node_get_object (node));
    }
  store->workspace = g_strdup (member_string (root, "workspace"));
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
    store->written = json_to_string (again, FALSE);
  }
  return g_steal_pointer (&store);
}

/* Replaces *@text by its relocated version. */
static void
relocate_text (char **text, const char *from_root, const char *to_root)
{
  char *moved;

  if (*text == NULL)
    return;
  moved = cmdb_state_relocate_text (*text, from_root, to_root);
  g_free (*text);
  *text = moved;
}

void
cmdb_page_store_relocate (CmdbPageStore *store, const char *root)
{
  if (g_strcmp0 (store->workspace, root) == 0)
    return;
  /* Format 1 did not record its workspace: its texts stay as they are. */
  if (store->workspace != NULL)
    {
      relocate_text (&store->edited, store->workspace, root);
      relocate_text (&store->generated, store->workspace, root);
      relocate_text (&store->previous, store->workspace, root);
      cmdb_state_relocate_values (store->values, store->workspace, root);
    }
  g_free (store->workspace);
  store->workspace = g_strdup (root);
}

void
cmdb_page_store_free (CmdbPageStore *store)
{
  if (store == NULL)
    return;
  g_free (store->page_id);
  g_free (store->workspace);
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
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, cmdb_state_format_version (CMDB_STATE_PAGE_STATE));
  json_builder_set_member_name (builder, "page");
  json_builder_add_string_value (builder, store->page_id);
  json_builder_set_member_name (builder, "values");
  json_builder_add_value (builder, g_steal_pointer (&values));
  /* Where the texts below were generated: a moved workspace relocates them. */
  add_nullable_string (builder, "workspace", store->workspace);
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
  g_autofree char *text = json_to_string (node, FALSE);
  g_autofree char *name = g_strconcat (store->page_id, ".json", NULL);

  if (ret_written != NULL)
    *ret_written = FALSE;
  /* A newer build's state stays as it is (reported when it was read). */
  if (store->frozen || g_strcmp0 (text, store->written) == 0)
    return TRUE;
  if (store->unreadable)
    {
      g_autofree char *path = page_file (state_dir, store->page_id);
      g_autofree char *aside = g_strconcat (path, ".unreadable", NULL);

      /* Nothing is lost: the file nobody could read stays for a person. */
      if (g_rename (path, aside) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "cannot move %s aside: %s", path, g_strerror (saved_errno));
          return FALSE;
        }
      store->unreadable = FALSE;
    }
  if (!write_state_file (state_dir, "ui/pages", name, CMDB_STATE_PAGE_STATE,
                         json_node_get_object (node), error))
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
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) root = cmdb_state_file_load (CMDB_STATE_SERVER_STATE, path, NULL, &error);

  if (root == NULL)
    {
      if (!g_error_matches (error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NOT_FOUND))
        cmdb_state_report (error);
      return NULL;
    }
  return g_strdup (member_string (root, "last_page"));
}

gboolean
cmdb_server_state_save_last_page (const char *state_dir, const char *page_id, GError **error)
{
  g_autofree char *path = g_build_filename (state_dir, "ui", "server.json", NULL);
  g_autoptr (GError) load_error = NULL;
  g_autoptr (JsonObject) current
      = cmdb_state_file_load (CMDB_STATE_SERVER_STATE, path, NULL, &load_error);
  g_autoptr (JsonObject) root = NULL;

  if (current != NULL && g_strcmp0 (member_string (current, "last_page"), page_id) == 0)
    return TRUE;
  /* A newer build's file stays as it is (reported when it was read). */
  if (g_error_matches (load_error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER))
    return TRUE;
  root = json_object_new ();
  json_object_set_int_member (root, "version", cmdb_state_format_version (CMDB_STATE_SERVER_STATE));
  json_object_set_string_member (root, "last_page", page_id);
  return write_state_file (state_dir, "ui", "server.json", CMDB_STATE_SERVER_STATE, root, error);
}
