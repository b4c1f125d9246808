#define G_LOG_DOMAIN "cmdb-sweep"

/* Sweep records: <state>/sweeps/<sweep id>/sweep.json, one per launched
 * sweep, and the member runs it names (docs/sweeps.md, "Sweep records").
 * The record is written by its creator, then updated (supervisor pid, a
 * stop request) under an exclusive lock of record.lock beside it, so two
 * writers never lose each other's change. The status is never stored: it
 * is derived from the members' records each time. */

#include "cmdb-sweep-private.h"
#include "run/cmdb-run-private.h"
#include "state/cmdb-state-private.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct _CmdbSweep
{
  gatomicrefcount ref_count;
  char *directory;
  JsonObject *data;
};

CmdbSweep *
cmdb_sweep_ref (CmdbSweep *sweep)
{
  g_return_val_if_fail (sweep != NULL, NULL);
  g_atomic_ref_count_inc (&sweep->ref_count);
  return sweep;
}

void
cmdb_sweep_unref (CmdbSweep *sweep)
{
  g_return_if_fail (sweep != NULL);
  if (!g_atomic_ref_count_dec (&sweep->ref_count))
    return;
  g_free (sweep->directory);
  json_object_unref (sweep->data);
  g_free (sweep);
}

static const char *
get_string (JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
cmdb_sweep_get_id (CmdbSweep *sweep)
{
  return get_string (sweep->data, "id");
}

const char *
cmdb_sweep_get_page (CmdbSweep *sweep)
{
  return get_string (sweep->data, "page");
}

const char *
cmdb_sweep_get_executor (CmdbSweep *sweep)
{
  const char *executor = get_string (sweep->data, "executor");

  return executor != NULL ? executor : "local";
}

const char *
cmdb_sweep_get_directory (CmdbSweep *sweep)
{
  return sweep->directory;
}

JsonObject *
cmdb_sweep_get_data (CmdbSweep *sweep)
{
  return sweep->data;
}

static JsonArray *
get_members (CmdbSweep *sweep)
{
  JsonNode *node = json_object_get_member (sweep->data, "members");

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
get_member (CmdbSweep *sweep, guint index)
{
  JsonArray *members = get_members (sweep);
  JsonNode *node;

  if (members == NULL || index >= json_array_get_length (members))
    return NULL;
  node = json_array_get_element (members, index);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

guint
cmdb_sweep_get_n_members (CmdbSweep *sweep)
{
  JsonArray *members = get_members (sweep);

  return members != NULL ? json_array_get_length (members) : 0;
}

const char *
cmdb_sweep_get_member_run (CmdbSweep *sweep, guint index)
{
  JsonObject *member = get_member (sweep, index);

  return member != NULL ? get_string (member, "run") : NULL;
}

JsonObject *
cmdb_sweep_get_member_values (CmdbSweep *sweep, guint index)
{
  JsonObject *member = get_member (sweep, index);
  JsonNode *node = member != NULL ? json_object_get_member (member, "values") : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
cmdb_sweep_get_stop_requested (CmdbSweep *sweep)
{
  return get_string (sweep->data, "stop_requested_at") != NULL;
}

void
cmdb_sweep_member_spec_free (CmdbSweepMemberSpec *spec)
{
  if (spec == NULL)
    return;
  g_clear_pointer (&spec->values, json_object_unref);
  g_clear_pointer (&spec->form_values, json_object_unref);
  g_strfreev (spec->argv);
  g_free (spec->command);
  g_free (spec->experiment);
  g_free (spec);
}

guint
cmdb_sweep_get_default_parallel (CmdbConfig *config)
{
  gint64 parallel = cmdb_config_get_int (config, "sweep", "parallel", 1);

  return (guint) CLAMP (parallel, 1, 1000);
}

/* ---- files ---- */

static char *
sweeps_directory (CmdbRunStore *store)
{
  return g_build_filename (cmdb_context_get_state_dir (cmdb_run_store_get_context (store)),
                           "sweeps", NULL);
}

static CmdbSweep *
load_from_directory (const char *directory, GError **error)
{
  g_autofree char *path = g_build_filename (directory, CMDB_SWEEP_RECORD_NAME, NULL);
  g_autoptr (GError) local_error = NULL;
  JsonObject *data = cmdb_state_file_load (CMDB_STATE_SWEEP_RECORD, path, NULL, &local_error);
  CmdbSweep *sweep;

  if (data == NULL)
    {
      g_set_error_literal (
          error, CMDB_RUN_ERROR,
          g_error_matches (local_error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NOT_FOUND)
              ? CMDB_RUN_ERROR_NOT_FOUND
          : g_error_matches (local_error, CMDB_STATE_ERROR, CMDB_STATE_ERROR_NEWER)
              ? CMDB_RUN_ERROR_NEWER_FORMAT
              : CMDB_RUN_ERROR_INVALID,
          local_error->message);
      return NULL;
    }
  if (get_string (data, "id") == NULL || !json_object_has_member (data, "members")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (data, "members")))
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_INVALID,
                   "%s: not a sweep record (an object with \"id\" and \"members\")", path);
      json_object_unref (data);
      return NULL;
    }
  sweep = g_new0 (CmdbSweep, 1);
  g_atomic_ref_count_init (&sweep->ref_count);
  sweep->directory = g_strdup (directory);
  sweep->data = data;
  return sweep;
}

static gboolean
save (CmdbSweep *sweep, GError **error)
{
  g_autofree char *path = g_build_filename (sweep->directory, CMDB_SWEEP_RECORD_NAME, NULL);

  return cmdb_state_file_save (CMDB_STATE_SWEEP_RECORD, path, sweep->data, error);
}

/* Read-modify-write of the record under record.lock: @change edits the
 * current record. */
gboolean
cmdb_sweep_update (CmdbSweep *sweep, CmdbSweepChange change, gpointer user_data, GError **error)
{
  g_autofree char *lock_path = g_build_filename (sweep->directory, "record.lock", NULL);
  g_autoptr (CmdbSweep) current = NULL;
  gboolean saved = FALSE;
  int fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "cannot open %s: %s", lock_path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  while (flock (fd, LOCK_EX) < 0 && errno == EINTR)
    ;
  current = load_from_directory (sweep->directory, error);
  if (current != NULL)
    {
      change (current->data, user_data);
      saved = save (current, error);
      if (saved)
        {
          json_object_unref (sweep->data);
          sweep->data = json_object_ref (current->data);
        }
    }
  close (fd);
  return saved;
}

static void
set_now (JsonObject *data, gpointer key)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

  if (!json_object_has_member (data, key) || get_string (data, key) == NULL)
    json_object_set_string_member (data, key, text);
}

gboolean
cmdb_sweep_request_stop (CmdbSweep *sweep, GError **error)
{
  return cmdb_sweep_update (sweep, set_now, (gpointer) "stop_requested_at", error);
}

static void
set_supervisor (JsonObject *data, gpointer pid)
{
  json_object_set_int_member (data, "supervisor_pid", GPOINTER_TO_INT (pid));
  set_now (data, (gpointer) "queue_started_at");
}

gboolean
cmdb_sweep_record_supervisor (CmdbSweep *sweep, GPid pid, GError **error)
{
  return cmdb_sweep_update (sweep, set_supervisor, GINT_TO_POINTER ((int) pid), error);
}

/* ---- creating ---- */

static char *
make_sweep_directory (CmdbRunStore *store, const char *page, char **ret_id, GError **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *safe_page = g_strdup (page != NULL && page[0] != '\0' ? page : "run");
  g_autoptr (GError) dir_error = NULL;
  g_autofree char *sweeps = cmdb_state_dir_ensure (
      cmdb_context_get_state_dir (cmdb_run_store_get_context (store)), "sweeps", 0755, &dir_error);

  if (sweeps == NULL)
    {
      g_set_error_literal (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, dir_error->message);
      return NULL;
    }
  g_strcanon (safe_page, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", '_');
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autofree char *id
          = g_strdup_printf ("sweep-%s-%s-%04x", stamp, safe_page, g_random_int_range (0, 0x10000));
      g_autofree char *path = g_build_filename (sweeps, id, NULL);

      if (g_mkdir (path, 0755) == 0)
        {
          *ret_id = g_steal_pointer (&id);
          return g_steal_pointer (&path);
        }
      if (errno != EEXIST)
        {
          int saved_errno = errno;

          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "cannot create %s: %s", path,
                       g_strerror (saved_errno));
          return NULL;
        }
    }
  g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "cannot find a free sweep id in %s",
               sweeps);
  return NULL;
}

static void
remove_tree (const char *directory)
{
  g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (directory);
}

/* Removes a sweep's directory at once for everyone else: it is renamed to
 * a hidden name beside it (which listings skip) before its files go. Removed
 * in place, a supervisor's last update could open record.lock again
 * (O_CREAT) between the unlinks and the rmdir, and the directory stayed. */
static void
remove_sweep_directory (const char *directory)
{
  g_autofree char *parent = g_path_get_dirname (directory);
  g_autofree char *name = g_path_get_basename (directory);
  g_autofree char *hidden = g_strdup_printf ("%s/.deleting-%s-%d", parent, name, (int) getpid ());

  if (g_rename (directory, hidden) == 0)
    remove_tree (hidden);
  else
    remove_tree (directory);
}

/* (transfer full): one member's run, queued, naming its sweep. */
static CmdbRun *
create_member (CmdbRunStore *store, const char *page, const char *executor, const char *sweep_id,
               guint index, CmdbSweepMemberSpec *spec, JsonObject *executor_options, GError **error)
{
  g_autoptr (CmdbRun) run
      = cmdb_run_store_create (store, page, (const char *const *) spec->argv, spec->command, NULL,
                               spec->form_values, executor, error);
  JsonObject *data;

  if (run == NULL)
    return NULL;
  data = cmdb_run_get_data (run);
  cmdb_run_set_status (run, CMDB_RUN_STATUS_QUEUED);
  json_object_set_string_member (data, "sweep", sweep_id);
  json_object_set_int_member (data, "sweep_index", index);
  if (spec->experiment != NULL)
    json_object_set_string_member (data, "experiment", spec->experiment);
  if (executor_options != NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s_options", cmdb_run_get_executor (run));

      json_object_set_object_member (data, key, json_object_ref (executor_options));
    }
  if (!cmdb_run_save (run, error))
    {
      remove_tree (cmdb_run_get_directory (run));
      return NULL;
    }
  return g_steal_pointer (&run);
}

CmdbSweep *
cmdb_sweep_create (CmdbRunStore *store, const char *page, const char *executor, guint parallel,
                   GPtrArray *keys, GPtrArray *specs, JsonObject *executor_options,
                   const char *rerun_of, GError **error)
{
  CmdbContext *context = cmdb_run_store_get_context (store);
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_run_unref);
  g_autofree char *id = NULL;
  g_autofree char *directory = NULL;
  g_autoptr (CmdbSweep) sweep = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  JsonArray *key_array = json_array_new ();
  JsonArray *members = json_array_new ();
  JsonObject *data = json_object_new ();

  g_return_val_if_fail (CMDB_IS_RUN_STORE (store), NULL);
  g_return_val_if_fail (specs != NULL && specs->len > 0, NULL);
  if (executor == NULL)
    executor = cmdb_config_get_string (cmdb_context_get_config (context), "run", "executor");
  if (executor == NULL)
    executor = "local";
  sweep = g_new0 (CmdbSweep, 1);
  g_atomic_ref_count_init (&sweep->ref_count);
  sweep->data = data;
  directory = make_sweep_directory (store, page, &id, error);
  if (directory == NULL)
    {
      json_array_unref (key_array);
      json_array_unref (members);
      return NULL;
    }
  sweep->directory = g_strdup (directory);
  for (guint i = 0; i < specs->len; i++)
    {
      CmdbSweepMemberSpec *spec = g_ptr_array_index (specs, i);
      CmdbRun *run = create_member (store, page, executor, id, i, spec, executor_options, error);
      JsonObject *member;

      if (run == NULL)
        {
          for (guint j = 0; j < runs->len; j++)
            remove_tree (cmdb_run_get_directory (g_ptr_array_index (runs, j)));
          remove_tree (directory);
          json_array_unref (key_array);
          json_array_unref (members);
          return NULL;
        }
      g_ptr_array_add (runs, run);
      member = json_object_new ();
      json_object_set_string_member (member, "run", cmdb_run_get_id (run));
      json_object_set_object_member (member, "values", json_object_ref (spec->values));
      json_array_add_object_element (members, member);
    }
  for (guint i = 0; keys != NULL && i < keys->len; i++)
    json_array_add_string_element (key_array, g_ptr_array_index (keys, i));

  json_object_set_int_member (data, "version", cmdb_state_format_version (CMDB_STATE_SWEEP_RECORD));
  json_object_set_string_member (data, "id", id);
  json_object_set_string_member (data, "page", page);
  json_object_set_string_member (data, "executor", executor);
  json_object_set_string_member (data, "workspace", cmdb_context_get_root (context));
  {
    g_autofree char *created = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");

    json_object_set_string_member (data, "created_at", created);
  }
  json_object_set_int_member (data, "parallel", MAX (parallel, 1));
  json_object_set_array_member (data, "keys", key_array);
  json_object_set_array_member (data, "members", members);
  if (executor_options != NULL)
    json_object_set_object_member (data, "executor_options", json_object_ref (executor_options));
  else
    json_object_set_null_member (data, "executor_options");
  if (rerun_of != NULL)
    json_object_set_string_member (data, "rerun_of", rerun_of);
  else
    json_object_set_null_member (data, "rerun_of");
  json_object_set_null_member (data, "supervisor_pid");
  json_object_set_null_member (data, "stop_requested_at");
  if (!save (sweep, error))
    {
      for (guint j = 0; j < runs->len; j++)
        remove_tree (cmdb_run_get_directory (g_ptr_array_index (runs, j)));
      remove_tree (directory);
      return NULL;
    }
  return g_steal_pointer (&sweep);
}

/* ---- reading ---- */

static gint
compare_newest_first (gconstpointer a, gconstpointer b)
{
  CmdbSweep *sweep_a = *(CmdbSweep *const *) a;
  CmdbSweep *sweep_b = *(CmdbSweep *const *) b;
  int by_time = g_strcmp0 (get_string (sweep_b->data, "created_at"),
                           get_string (sweep_a->data, "created_at"));

  return by_time != 0 ? by_time
                      : g_strcmp0 (cmdb_sweep_get_id (sweep_b), cmdb_sweep_get_id (sweep_a));
}

GPtrArray *
cmdb_sweep_list (CmdbRunStore *store, GError **error)
{
  g_autofree char *sweeps = sweeps_directory (store);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_sweep_unref);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *name;

  dir = g_dir_open (sweeps, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&list);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) sweep_error = NULL;
      CmdbSweep *sweep;

      if (name[0] == '.') /* a sweep being deleted (remove_sweep_directory) */
        continue;
      path = g_build_filename (sweeps, name, NULL);
      sweep = load_from_directory (path, &sweep_error);

      if (sweep != NULL)
        g_ptr_array_add (list, sweep);
      else if (!g_error_matches (sweep_error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND))
        cmdb_state_report (sweep_error);
    }
  g_ptr_array_sort (list, compare_newest_first);
  return g_steal_pointer (&list);
}

CmdbSweep *
cmdb_sweep_load (CmdbRunStore *store, const char *id_or_prefix, GError **error)
{
  g_autoptr (GPtrArray) list = NULL;
  CmdbSweep *match = NULL;
  guint n_matches = 0;

  g_return_val_if_fail (id_or_prefix != NULL, NULL);
  list = cmdb_sweep_list (store, error);
  if (list == NULL)
    return NULL;
  if (g_str_equal (id_or_prefix, "last") && list->len > 0)
    return cmdb_sweep_ref (g_ptr_array_index (list, 0));
  for (guint i = 0; id_or_prefix[0] != '\0' && i < list->len; i++)
    {
      CmdbSweep *sweep = g_ptr_array_index (list, i);

      if (g_str_equal (cmdb_sweep_get_id (sweep), id_or_prefix))
        return cmdb_sweep_ref (sweep);
      if (g_str_has_prefix (cmdb_sweep_get_id (sweep), id_or_prefix))
        {
          n_matches++;
          match = sweep;
        }
    }
  if (n_matches != 1)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND,
                   n_matches == 0 ? "no sweep '%s'" : "'%s' matches several sweeps", id_or_prefix);
      return NULL;
    }
  return cmdb_sweep_ref (match);
}

CmdbSweep *
cmdb_sweep_load_directory (const char *directory, GError **error)
{
  return load_from_directory (directory, error);
}

CmdbSweep *
cmdb_sweep_reload (CmdbSweep *sweep, GError **error)
{
  return load_from_directory (sweep->directory, error);
}

/* The array's free function: a member whose run was deleted is NULL. */
static void
member_run_free (gpointer run)
{
  if (run != NULL)
    cmdb_run_unref (run);
}

GPtrArray *
cmdb_sweep_load_members (CmdbRunStore *store, CmdbSweep *sweep)
{
  guint n = cmdb_sweep_get_n_members (sweep);
  GPtrArray *runs = g_ptr_array_new_full (n, member_run_free);

  for (guint i = 0; i < n; i++)
    {
      const char *run_id = cmdb_sweep_get_member_run (sweep, i);
      /* Exact ids; an ended member's record is parsed once (the shared
       * cache), so a sweep's page reads a hundred members quickly. */
      CmdbRun *run = run_id != NULL ? cmdb_run_store_load_shared (store, run_id) : NULL;

      g_ptr_array_add (runs, run);
    }
  return runs;
}

const char *
cmdb_sweep_status (CmdbSweep *sweep, GPtrArray *members)
{
  gboolean stopping = cmdb_sweep_get_stop_requested (sweep);
  guint active = 0, queued = 0, failed = 0, stopped = 0, present = 0;

  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);
      CmdbRunStatus status;

      if (run == NULL)
        continue;
      present++;
      status = cmdb_run_get_status (run);
      if (status == CMDB_RUN_STATUS_QUEUED)
        queued++;
      else if (status == CMDB_RUN_STATUS_FAILED || status == CMDB_RUN_STATUS_LOST)
        failed++;
      else if (status == CMDB_RUN_STATUS_STOPPED)
        stopped++;
      else if (status != CMDB_RUN_STATUS_SUCCEEDED)
        active++;
    }
  if (present == 0)
    return "empty";
  if (active > 0)
    return stopping ? "stopping" : "running";
  if (queued > 0)
    return stopping ? "stopping" : "queued";
  if (failed > 0)
    return "failed";
  if (stopped > 0)
    return "stopped";
  return "succeeded";
}

gboolean
cmdb_sweep_status_is_final (const char *status)
{
  return g_strcmp0 (status, "failed") == 0 || g_strcmp0 (status, "stopped") == 0
         || g_strcmp0 (status, "succeeded") == 0 || g_strcmp0 (status, "empty") == 0;
}

static void
add_member_json (JsonBuilder *builder, CmdbSweep *sweep, guint index, CmdbRun *run)
{
  JsonObject *values = cmdb_sweep_get_member_values (sweep, index);
  int exit_code = 0;
  gint64 started, ended;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, index);
  json_builder_set_member_name (builder, "run");
  json_builder_add_string_value (builder, cmdb_sweep_get_member_run (sweep, index));
  json_builder_set_member_name (builder, "values");
  if (values != NULL)
    json_builder_add_value (builder, json_node_init_object (json_node_alloc (), values));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (
      builder, run != NULL ? cmdb_run_status_to_string (cmdb_run_get_status (run)) : "deleted");
  json_builder_set_member_name (builder, "exit_code");
  if (run != NULL && cmdb_run_get_exit_code (run, &exit_code))
    json_builder_add_int_value (builder, exit_code);
  else
    json_builder_add_null_value (builder);
  started = run != NULL ? cmdb_run_get_started_time (run) : 0;
  ended = run != NULL ? cmdb_run_get_ended_time (run) : 0;
  json_builder_set_member_name (builder, "started_at");
  if (run != NULL && json_object_has_member (cmdb_run_get_data (run), "started_at"))
    json_builder_add_value (
        builder, json_node_copy (json_object_get_member (cmdb_run_get_data (run), "started_at")));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "ended_at");
  if (run != NULL && json_object_has_member (cmdb_run_get_data (run), "ended_at"))
    json_builder_add_value (
        builder, json_node_copy (json_object_get_member (cmdb_run_get_data (run), "ended_at")));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "duration_s");
  if (started > 0)
    json_builder_add_double_value (
        builder, (double) ((ended > 0 ? ended : g_get_real_time ()) - started) / G_USEC_PER_SEC);
  else
    json_builder_add_null_value (builder);
  if (run != NULL && cmdb_run_get_data (run) != NULL)
    {
      JsonNode *experiment = json_object_get_member (cmdb_run_get_data (run), "experiment");

      json_builder_set_member_name (builder, "experiment");
      if (experiment != NULL)
        json_builder_add_value (builder, json_node_copy (experiment));
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "command");
      json_builder_add_string_value (builder, cmdb_run_get_command (run));
    }
  json_builder_end_object (builder);
}

JsonNode *
cmdb_sweep_to_json (CmdbSweep *sweep, GPtrArray *members, gboolean with_members)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  static const char *const copied[]
      = { "page", "executor", "created_at",        "parallel",
          "keys", "rerun_of", "stop_requested_at", "executor_options" };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, cmdb_sweep_get_id (sweep));
  for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
    {
      JsonNode *node = json_object_get_member (sweep->data, copied[i]);

      json_builder_set_member_name (builder, copied[i]);
      if (node != NULL)
        json_builder_add_value (builder, json_node_copy (node));
      else
        json_builder_add_null_value (builder);
    }
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, cmdb_sweep_get_n_members (sweep));
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, cmdb_sweep_status (sweep, members));
  json_builder_set_member_name (builder, "counts");
  json_builder_begin_object (builder);
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);
      const char *name
          = run != NULL ? cmdb_run_status_to_string (cmdb_run_get_status (run)) : "deleted";

      g_hash_table_replace (
          counts, (gpointer) name,
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, name)) + 1));
    }
  {
    static const char *const order[] = { "queued",    "starting", "running", "stopping", "stopped",
                                         "succeeded", "failed",   "lost",    "deleted" };

    for (guint i = 0; i < G_N_ELEMENTS (order); i++)
      if (g_hash_table_contains (counts, order[i]))
        {
          json_builder_set_member_name (builder, order[i]);
          json_builder_add_int_value (builder,
                                      GPOINTER_TO_UINT (g_hash_table_lookup (counts, order[i])));
        }
  }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "supervisor_alive");
  json_builder_add_boolean_value (builder, cmdb_sweep_supervisor_alive (sweep));
  if (with_members)
    {
      json_builder_set_member_name (builder, "members");
      json_builder_begin_array (builder);
      for (guint i = 0; i < members->len; i++)
        add_member_json (builder, sweep, i, g_ptr_array_index (members, i));
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ---- deleting ---- */

gboolean
cmdb_sweep_delete (CmdbRunStore *store, CmdbSweep *sweep, GError **error)
{
  g_autoptr (GPtrArray) members = cmdb_sweep_load_members (store, sweep);

  /* All or nothing: a sweep with a member still going is refused whole. */
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);

      if (run != NULL && !cmdb_run_is_deletable (run, error))
        {
          g_prefix_error (error, "sweep %s: ", cmdb_sweep_get_id (sweep));
          return FALSE;
        }
    }
  /* Every member has ended, so nothing is queued: a supervisor still
   * finishing its last round starts nothing more, and its last write
   * (queue_ended_at) fails harmlessly once the directory is gone. */
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);

      if (run != NULL && !cmdb_run_delete (run, error))
        return FALSE;
    }
  remove_sweep_directory (sweep->directory);
  return TRUE;
}
