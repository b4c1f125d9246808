#define G_LOG_DOMAIN "cmdb-server"

#include "cmdb-server-private.h"
#include "state/cmdb-state-private.h"
#include "base/cmdb-json-private.h"

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

static void
page_store_clear (CmdbPageStore *store)
{
  g_free (store->page_id);
  g_free (store->workspace);
  g_clear_pointer (&store->values, json_object_unref);
  g_free (store->edited);
  g_free (store->generated);
  g_free (store->previous);
  g_free (store->active_use_case);
  g_clear_pointer (&store->last_run, json_node_unref);
  g_clear_pointer (&store->waiting, g_ptr_array_unref);
  g_free (store->state_dir);
  g_free (store->written);
}

CmdbPageStore *
cmdb_page_store_new (const char *page_id)
{
  CmdbPageStore *store = g_rc_box_new0 (CmdbPageStore);

  store->page_id = g_strdup (page_id);
  store->values = json_object_new ();
  store->suffix = -1;
  return store;
}

CmdbPageStore *
cmdb_page_store_ref (CmdbPageStore *store)
{
  return g_rc_box_acquire (store);
}

void
cmdb_page_store_unref (CmdbPageStore *store)
{
  if (store != NULL)
    g_rc_box_release_full (store, (GDestroyNotify) page_store_clear);
}

CmdbPageStore *
cmdb_page_store_load (const char *state_dir, const char *page_id)
{
  g_autoptr (CmdbPageStore) store = cmdb_page_store_new (page_id);
  g_autofree char *path = page_file (state_dir, page_id);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) root = NULL;
  JsonNode *node;

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

/* Whether member @name of @object is @value (NULL: null). */
static gboolean
member_is_nullable_string (JsonObject *object, const char *name, const char *value)
{
  JsonNode *member = json_object_get_member (object, name);

  if (member == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (member))
    return value == NULL;
  return value != NULL && json_node_get_value_type (member) == G_TYPE_STRING
         && g_str_equal (json_node_get_string (member), value);
}

/* Keep in step with cmdb_page_store_to_json() above: every member it
 * writes from the store is compared here. */
gboolean
cmdb_page_store_equals_json (CmdbPageStore *store, JsonNode *node)
{
  JsonObject *object;
  JsonNode *member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  if (!member_is_nullable_string (object, "page", store->page_id)
      || !member_is_nullable_string (object, "workspace", store->workspace)
      || !member_is_nullable_string (object, "edited", store->edited)
      || !member_is_nullable_string (object, "generated", store->generated)
      || !member_is_nullable_string (object, "previous", store->previous)
      || !member_is_nullable_string (object, "active_use_case", store->active_use_case))
    return FALSE;

  member = json_object_get_member (object, "suffix");
  if (member == NULL)
    return FALSE;
  if (store->suffix < 0 ? !JSON_NODE_HOLDS_NULL (member)
                        : json_node_get_value_type (member) != G_TYPE_BOOLEAN
                              || json_node_get_boolean (member) != (store->suffix == 1))
    return FALSE;

  member = json_object_get_member (object, "values");
  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member)
      || !cmdb_json_object_identical (json_node_get_object (member), store->values))
    return FALSE;

  member = json_object_get_member (object, "last_run");
  if (member == NULL)
    return FALSE;
  return store->last_run != NULL ? cmdb_json_node_identical (member, store->last_run)
                                 : JSON_NODE_HOLDS_NULL (member);
}

/* ---- asynchronous, coalesced saves ---- */

typedef struct
{
  CmdbPageStore *store; /* (owned): the server may drop its own reference meanwhile */
  char *state_dir;
  char *name;
  char *text;         /* the compact JSON written (a deep snapshot of the store) */
  GPtrArray *waiters; /* (element-type GTask) told when this write has ended */
} WriteJob;

static void
write_job_free (gpointer data)
{
  WriteJob *job = data;

  cmdb_page_store_unref (job->store);
  g_free (job->state_dir);
  g_free (job->name);
  g_free (job->text);
  g_ptr_array_unref (job->waiters);
  g_free (job);
}

static void
complete_waiters (GPtrArray *waiters, const GError *error)
{
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error == NULL)
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_error_copy (error));
    }
  g_ptr_array_set_size (waiters, 0);
}

/* The worker thread: only the snapshot text is touched here. */
static void
write_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteJob *job = task_data;
  g_autoptr (JsonNode) node = json_from_string (job->text, NULL);
  GError *error = NULL;

  if (node != NULL
      && write_state_file (job->state_dir, "ui/pages", job->name, CMDB_STATE_PAGE_STATE,
                           json_node_get_object (node), &error))
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, G_FILE_ERROR, G_FILE_ERROR_FAILED, "unreadable snapshot");
}

static void start_next_write (CmdbPageStore *store);

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WriteJob *job = g_task_get_task_data (G_TASK (result));
  CmdbPageStore *store = job->store;
  g_autoptr (GError) error = NULL;

  store->writing = FALSE;
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_free (store->written);
      store->written = g_strdup (job->text);
    }
  complete_waiters (job->waiters, error);
  if (store->waiting != NULL && store->waiting->len > 0)
    start_next_write (store);
}

/* Takes every waiting save into one write of the store as it is now. */
static void
start_next_write (CmdbPageStore *store)
{
  g_autoptr (JsonNode) node = cmdb_page_store_to_json (store);
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr (GPtrArray) waiters = g_steal_pointer (&store->waiting);
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  WriteJob *job;

  store->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  /* A newer build's state stays as it is; an unchanged one is not written. */
  if (store->frozen || g_strcmp0 (text, store->written) == 0)
    {
      complete_waiters (waiters, NULL);
      return;
    }
  if (store->unreadable)
    {
      g_autofree char *path = page_file (store->state_dir, store->page_id);
      g_autofree char *aside = g_strconcat (path, ".unreadable", NULL);

      /* Nothing is lost: the file nobody could read stays for a person. */
      if (g_rename (path, aside) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "cannot move %s aside: %s", path, g_strerror (saved_errno));
          complete_waiters (waiters, error);
          return;
        }
      store->unreadable = FALSE;
    }
  job = g_new0 (WriteJob, 1);
  job->store = cmdb_page_store_ref (store);
  job->state_dir = g_strdup (store->state_dir);
  job->name = g_strconcat (store->page_id, ".json", NULL);
  job->text = g_steal_pointer (&text);
  job->waiters = g_steal_pointer (&waiters);
  store->writing = TRUE;
  task = g_task_new (NULL, NULL, write_done, NULL);
  g_task_set_task_data (task, job, write_job_free);
  g_task_run_in_thread (task, write_in_thread);
}

void
cmdb_page_store_save_async (CmdbPageStore *store, const char *state_dir,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  if (store->state_dir == NULL)
    store->state_dir = g_strdup (state_dir);
  if (store->waiting == NULL)
    store->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (store->waiting, task);
  /* While a write is in flight the save waits for it; its end starts the
   * next write with everything asked for meanwhile. */
  if (!store->writing)
    start_next_write (store);
}

gboolean
cmdb_page_store_save_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
cmdb_page_store_is_saving (CmdbPageStore *store)
{
  return store->writing || (store->waiting != NULL && store->waiting->len > 0);
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
