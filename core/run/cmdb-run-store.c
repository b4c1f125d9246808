#define G_LOG_DOMAIN "cmdb-run"

#include "cmdb-run-private.h"
#include "host/cmdb-host-private.h"
#include "state/cmdb-state-private.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <string.h>

/* How often cmdb_run_store_wait() looks at the record. */
#define WAIT_POLL_USEC (20 * 1000)

struct _CmdbRunStore
{
  GObject parent_instance;
  CmdbContext *context;
  char *directory;
  GHashTable *executors; /* id -> CmdbExecutor */
  CmdbExecutor *local;
  CmdbHost *host; /* (nullable): loads executor plugins on demand */
  /* Whether executors' update_async() runs in the background (the server)
   * rather than before each liveness check (the CLI). */
  gboolean background_updates;
  /* (nullable) ended runs kept in memory (cmdb_run_store_keep_history()) */
  CmdbRunWatch *history;
};

G_DEFINE_FINAL_TYPE (CmdbRunStore, cmdb_run_store, G_TYPE_OBJECT)

static void
cmdb_run_store_finalize (GObject *object)
{
  CmdbRunStore *self = CMDB_RUN_STORE (object);

  g_clear_object (&self->context);
  g_free (self->directory);
  g_hash_table_unref (self->executors);
  g_clear_object (&self->local);
  g_clear_object (&self->host);
  cmdb_run_watch_free (self->history);
  G_OBJECT_CLASS (cmdb_run_store_parent_class)->finalize (object);
}

static void
cmdb_run_store_class_init (CmdbRunStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cmdb_run_store_finalize;
}

static void
cmdb_run_store_init (CmdbRunStore *self)
{
  self->executors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

CmdbRunStore *
cmdb_run_store_new (CmdbContext *context)
{
  CmdbRunStore *self;

  g_return_val_if_fail (CMDB_IS_CONTEXT (context), NULL);
  self = g_object_new (CMDB_TYPE_RUN_STORE, NULL);
  self->context = g_object_ref (context);
  self->directory = g_build_filename (cmdb_context_get_state_dir (context), "runs", NULL);
  self->local = cmdb_local_executor_new ();
  cmdb_run_store_add_executor (self, self->local);
  return self;
}

CmdbContext *
cmdb_run_store_get_context (CmdbRunStore *self)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  return self->context;
}

const char *
cmdb_run_store_get_directory (CmdbRunStore *self)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  return self->directory;
}

void
cmdb_run_store_add_executor (CmdbRunStore *self, CmdbExecutor *executor)
{
  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  g_return_if_fail (CMDB_IS_EXECUTOR (executor));
  g_hash_table_replace (self->executors, g_strdup (cmdb_executor_get_id (executor)),
                        g_object_ref (executor));
}

CmdbExecutor *
cmdb_run_store_get_executor (CmdbRunStore *self, const char *executor_id)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  return g_hash_table_lookup (self->executors, executor_id);
}

void
cmdb_run_store_set_host (CmdbRunStore *self, CmdbHost *host)
{
  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  g_set_object (&self->host, host);
}

/* The executor named @executor_id: a registered one, else one loaded from
 * the executor plugin of that id through the host. NULL with
 * CMDB_RUN_ERROR_UNKNOWN_EXECUTOR when there is none or it cannot load. */
static CmdbExecutor *
lookup_executor (CmdbRunStore *self, const char *executor_id, GError **error)
{
  CmdbExecutor *executor = g_hash_table_lookup (self->executors, executor_id);
  CmdbPluginRecord *record;
  g_autoptr (GError) load_error = NULL;
  GObject *extension;

  if (executor != NULL)
    return executor;
  record = self->host != NULL ? cmdb_host_lookup (self->host, executor_id) : NULL;
  if (record == NULL || record->kind != CMDB_PLUGIN_KIND_EXECUTOR)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_UNKNOWN_EXECUTOR, "unknown executor '%s'",
                   executor_id);
      return NULL;
    }
  extension = cmdb_host_load_plugin (self->host, executor_id, &load_error);
  if (extension == NULL || !CMDB_IS_EXECUTOR (extension))
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_UNKNOWN_EXECUTOR,
                   "cannot load executor '%s': %s", executor_id,
                   load_error != NULL ? load_error->message : "the plugin is no executor");
      return NULL;
    }
  /* Executors read their settings ([slurm] ...) from the workspace's
   * configuration, which only the store knows. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (extension), "context") != NULL)
    g_object_set (extension, "context", self->context, NULL);
  cmdb_run_store_add_executor (self, CMDB_EXECUTOR (extension));
  return CMDB_EXECUTOR (extension);
}

CmdbExecutor *
cmdb_run_store_load_executor (CmdbRunStore *self, const char *executor_id, GError **error)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  g_return_val_if_fail (executor_id != NULL, NULL);
  return lookup_executor (self, executor_id, error);
}

void
cmdb_run_store_set_supervisor_program (CmdbRunStore *self, const char *program)
{
  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  cmdb_local_executor_set_program (CMDB_LOCAL_EXECUTOR (self->local), program);
}

const char *
cmdb_run_store_get_supervisor_program (CmdbRunStore *self)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  return cmdb_local_executor_get_program (CMDB_LOCAL_EXECUTOR (self->local));
}

/* (transfer full) (nullable): the run in @directory, told which workspace
 * it is read from (for a workspace that moved since it ran). */
static CmdbRun *
load_run (CmdbRunStore *self, const char *directory, GError **error)
{
  CmdbRun *run = cmdb_run_load_from_directory (directory, error);

  if (run != NULL)
    cmdb_run_set_workspace_now (run, cmdb_context_get_root (self->context));
  return run;
}

/* Run ids sort by time and say which page they ran:
 * 20261130-192358-train-3fa2. */
static char *
make_run_directory (CmdbRunStore *self, const char *page, char **ret_id, GError **error)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *safe_page = g_strdup (page != NULL && page[0] != '\0' ? page : "run");

  g_strcanon (safe_page, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", '_');
  {
    g_autoptr (GError) dir_error = NULL;
    g_autofree char *runs = cmdb_state_dir_ensure (cmdb_context_get_state_dir (self->context),
                                                   "runs", 0755, &dir_error);

    if (runs == NULL)
      {
        g_set_error_literal (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, dir_error->message);
        return NULL;
      }
  }
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autofree char *id
          = g_strdup_printf ("%s-%s-%04x", stamp, safe_page, g_random_int_range (0, 0x10000));
      g_autofree char *path = g_build_filename (self->directory, id, NULL);

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
  g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "cannot find a free run id in %s",
               self->directory);
  return NULL;
}

/* Removes a run directory that never held a run (its record could not be
 * written: a full disk), with whatever files were begun in it, so a run
 * that could not start leaves nothing behind. */
static void
remove_unborn_run (const char *directory)
{
  g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);
      g_unlink (path);
    }
  g_rmdir (directory);
}

CmdbRun *
cmdb_run_store_create (CmdbRunStore *self, const char *page, const char *const *argv,
                       const char *command, const char *edited_command, JsonObject *values,
                       const char *executor_id, GError **error)
{
  CmdbConfig *config;
  g_auto (GStrv) edited_argv = NULL;
  g_autofree char *id = NULL;
  g_autofree char *directory = NULL;
  g_autofree char *display = NULL;
  g_autoptr (CmdbRun) run = NULL;
  gboolean edited;

  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  config = cmdb_context_get_config (self->context);
  if (executor_id == NULL)
    executor_id = cmdb_config_get_string (config, "run", "executor");
  if (executor_id == NULL)
    executor_id = "local";
  if (lookup_executor (self, executor_id, error) == NULL)
    return NULL;

  if (command == NULL && argv != NULL)
    command = display = g_strjoinv (" ", (char **) argv);
  edited = edited_command != NULL && g_strcmp0 (edited_command, command) != 0;
  if (edited)
    {
      /* POSIX word rules without expansions: a run never goes through a
       * shell, so shell operators are refused rather than run literally. */
      if (!cmdb_shell_split (edited_command, &edited_argv, error))
        {
          g_prefix_error (error, "the edited command: ");
          return NULL;
        }
      argv = (const char *const *) edited_argv;
    }
  if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0')
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED, "the command is empty");
      return NULL;
    }

  directory = make_run_directory (self, page, &id, error);
  if (directory == NULL)
    return NULL;
  run = cmdb_run_new_record (directory, id);
  cmdb_run_set_string (run, "page", page);
  cmdb_run_set_string (run, "executor", executor_id);
  cmdb_run_set_argv (run, argv);
  cmdb_run_set_string (run, "command", command != NULL ? command : "");
  cmdb_run_set_string (run, "edited_command", edited ? edited_command : NULL);
  json_object_set_boolean_member (cmdb_run_get_data (run), "edited", edited);
  if (values != NULL)
    {
      JsonNode *node = json_node_init_object (json_node_alloc (), values);

      json_object_set_member (cmdb_run_get_data (run), "values", json_node_copy (node));
      json_node_unref (node);
    }
  else
    json_object_set_object_member (cmdb_run_get_data (run), "values", json_object_new ());
  cmdb_run_set_string (run, "cwd", cmdb_context_get_root (self->context));
  cmdb_run_set_string (run, "workspace", cmdb_context_get_root (self->context));
  cmdb_run_set_time_now (run, "created_at");
  cmdb_run_set_int (run, "stop_grace_ms",
                    cmdb_config_get_duration_ms (config, "run", "stop-grace", 5000));
  if (!cmdb_run_save (run, error))
    {
      remove_unborn_run (directory);
      return NULL;
    }
  return g_steal_pointer (&run);
}

/* After an executor's start: (transfer full) the run as recorded, or NULL
 * with @start_error (transfer full) recorded in the run unless the executor
 * got far enough to record it. */
static CmdbRun *
record_start (CmdbRunStore *self, CmdbRun *run, GError *start_error, GError **error)
{
  g_autoptr (CmdbRun) recorded = NULL;

  if (start_error == NULL)
    return load_run (self, cmdb_run_get_directory (run), error);
  recorded = load_run (self, cmdb_run_get_directory (run), NULL);
  if (recorded != NULL && cmdb_run_get_status (recorded) == CMDB_RUN_STATUS_STARTING)
    {
      cmdb_run_set_status (recorded, CMDB_RUN_STATUS_FAILED);
      cmdb_run_set_message (recorded, start_error->message);
      cmdb_run_set_time_now (recorded, "ended_at");
      /* No room even for that (a full disk): nothing is kept. */
      if (!cmdb_run_save (recorded, NULL))
        remove_unborn_run (cmdb_run_get_directory (run));
    }
  g_propagate_error (error, start_error);
  return NULL;
}

CmdbRun *
cmdb_run_store_start (CmdbRunStore *self, CmdbRun *run, GError **error)
{
  CmdbExecutor *executor;
  GError *start_error = NULL;

  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  g_return_val_if_fail (run != NULL, NULL);
  executor = lookup_executor (self, cmdb_run_get_executor (run), error);
  if (executor == NULL)
    return NULL;
  cmdb_executor_start (executor, run, &start_error);
  return record_start (self, run, start_error, error);
}

static void
on_executor_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  CmdbRun *run = g_task_get_task_data (task);
  GError *start_error = NULL;
  GError *error = NULL;
  CmdbRun *recorded;

  cmdb_executor_start_finish (CMDB_EXECUTOR (source), result, &start_error);
  recorded = record_start (g_task_get_source_object (task), run, start_error, &error);
  if (recorded == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, recorded, (GDestroyNotify) cmdb_run_unref);
}

void
cmdb_run_store_start_async (CmdbRunStore *self, CmdbRun *run, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  CmdbExecutor *executor;
  GError *error = NULL;

  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  g_return_if_fail (run != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cmdb_run_store_start_async);
  g_task_set_task_data (task, cmdb_run_ref (run), (GDestroyNotify) cmdb_run_unref);
  executor = lookup_executor (self, cmdb_run_get_executor (run), &error);
  if (executor == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  cmdb_executor_start_async (executor, run, cancellable, on_executor_started,
                             g_steal_pointer (&task));
}

CmdbRun *
cmdb_run_store_start_finish (CmdbRunStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cmdb_run_store_set_background_updates (CmdbRunStore *self, gboolean background)
{
  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  self->background_updates = background;
}

/* Replaces an unfinished run whose watcher is gone by its latest record,
 * or marks it lost. */
static CmdbRun *
check_liveness (CmdbRunStore *self, CmdbRun *run)
{
  CmdbExecutor *executor;
  CmdbRun *latest;

  /* A queued sweep member has no watcher yet: it waits for its sweep's
   * queue (docs/sweeps.md), which may itself be restarted later. */
  if (cmdb_run_status_is_final (cmdb_run_get_status (run))
      || cmdb_run_get_status (run) == CMDB_RUN_STATUS_QUEUED)
    return run;
  executor = lookup_executor (self, cmdb_run_get_executor (run), NULL);
  /* An executor whose plugin cannot be loaded here cannot be asked. */
  if (executor == NULL)
    return run;
  /* Without a background update (the CLI), the executor's answer is
   * brought up to date now, on a private main context. */
  if (!self->background_updates && cmdb_executor_has_update (executor))
    {
      g_autoptr (GError) error = NULL;

      if (!cmdb_executor_update (executor, run, &error))
        g_debug ("cannot update run %s: %s", cmdb_run_get_id (run), error->message);
    }
  if (cmdb_executor_is_alive (executor, run))
    return run;
  /* The watcher may have recorded the end just before it went away. */
  latest = load_run (self, cmdb_run_get_directory (run), NULL);
  if (latest != NULL)
    {
      cmdb_run_unref (run);
      run = latest;
    }
  if (!cmdb_run_status_is_final (cmdb_run_get_status (run)))
    cmdb_run_mark_lost (run, "the run's supervisor is gone without recording its end");
  return run;
}

static gpointer
compute_run_record (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                    GError **error)
{
  const char *directory = user_data;
  g_autofree char *record = g_build_filename (directory, CMDB_RUN_RECORD_NAME, NULL);
  CmdbRun *run;

  cmdb_cache_add_dependency (cache, record);
  run = cmdb_run_load_from_directory (directory, error);
  *ret_size = 2048; /* about a record's size in memory */
  return run;
}

/* (transfer full) (nullable): the record in @directory as the context's
 * cache holds it (parsed again only when its run.json changed). */
static CmdbRun *
get_cached_record (CmdbContext *context, const char *directory, GError **error)
{
  g_autofree char *key = g_strconcat ("run-store:record:", directory, NULL);

  return cmdb_cache_get_derived (cmdb_context_get_cache (context), key, compute_run_record,
                                 (gpointer) directory, (GBoxedCopyFunc) cmdb_run_ref,
                                 (GDestroyNotify) cmdb_run_unref, error);
}

/* (transfer full) (nullable): the run in @directory for a listing. An ended
 * run's record never changes again, so listing a workspace's history every
 * second (each open page's event stream does) parses each record once, not
 * every time: ended runs come from the shared cache, keyed by their
 * run.json's identity. The objects are shared snapshots: listings only read
 * them. An unfinished run is read afresh, for the liveness check. */
static CmdbRun *
load_listed_run (CmdbRunStore *self, const char *directory)
{
  g_autoptr (GError) error = NULL;
  CmdbRun *run = get_cached_record (self->context, directory, &error);

  if (run != NULL && cmdb_run_status_is_final (cmdb_run_get_status (run)))
    {
      cmdb_run_set_workspace_now (run, cmdb_context_get_root (self->context));
      return run;
    }
  g_clear_pointer (&run, cmdb_run_unref);
  g_clear_error (&error);
  run = load_run (self, directory, &error);
  /* A record this build cannot use is left as it is, and said once; the
   * rest of the history still lists. A directory without a record yet is
   * a run being created. */
  if (run == NULL && !g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND))
    cmdb_state_report (error);
  return run;
}

/* A run with its sort key, computed once (the creation time is parsed
 * from its ISO 8601 text: once per run, not once per comparison). */
typedef struct
{
  CmdbRun *run;
  gboolean final;
  gint64 created;
} ListedRun;

static gint
compare_listed (gconstpointer a, gconstpointer b)
{
  const ListedRun *run_a = a;
  const ListedRun *run_b = b;

  if (run_a->final != run_b->final)
    return run_a->final ? 1 : -1;
  if (run_a->created != run_b->created)
    return run_a->created < run_b->created ? 1 : -1;
  return -g_strcmp0 (cmdb_run_get_id (run_a->run), cmdb_run_get_id (run_b->run));
}

/* Sorts an array of runs in listing order (for CmdbRunWatch). */
static void
sort_runs (GPtrArray *runs)
{
  g_autoptr (GArray) listed = g_array_sized_new (FALSE, FALSE, sizeof (ListedRun), runs->len);

  for (guint i = 0; i < runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (runs, i);
      ListedRun item = { run, cmdb_run_status_is_final (cmdb_run_get_status (run)),
                         cmdb_run_get_created_time (run) };
      g_array_append_val (listed, item);
    }
  g_array_sort (listed, compare_listed);
  for (guint i = 0; i < listed->len; i++)
    runs->pdata[i] = g_array_index (listed, ListedRun, i).run;
}

void
cmdb_run_store_keep_history (CmdbRunStore *self)
{
  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  if (self->history == NULL)
    self->history = cmdb_run_watch_new (self->directory, sort_runs);
}

gboolean
cmdb_run_store_changed_since (CmdbRunStore *self, guint64 *stamp)
{
  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), TRUE);
  if (self->history == NULL)
    return TRUE;
  return cmdb_run_watch_changed_since (self->history, stamp);
}

static gboolean
run_matches (CmdbRun *run, const char *page, const char *status, CmdbRunStatus wanted)
{
  return (page == NULL || g_strcmp0 (page, cmdb_run_get_page (run)) == 0)
         && (status == NULL || cmdb_run_get_status (run) == wanted);
}

/* The listing through the history: only runs that have not ended (or
 * that changed) are read; the ended ones are in memory, sorted. */
static GPtrArray *
list_from_history (CmdbRunStore *self, const char *page, const char *status, CmdbRunStatus wanted,
                   GError **error)
{
  GPtrArray *names = cmdb_run_watch_get_names (self->history, error);
  g_autoptr (GPtrArray) unfinished = NULL;
  GPtrArray *ended;
  GPtrArray *runs;

  if (names == NULL)
    return NULL;
  unfinished = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_run_unref);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = NULL;
      CmdbRun *run;

      if (cmdb_run_watch_lookup (self->history, name) != NULL)
        continue;
      path = g_build_filename (self->directory, name, NULL);
      run = load_listed_run (self, path);
      if (run == NULL)
        continue;
      run = check_liveness (self, run);
      if (cmdb_run_status_is_final (cmdb_run_get_status (run)))
        {
          cmdb_run_watch_add_ended (self->history, name, run);
          /* Not kept (no monitor): listed from here this time. */
          if (cmdb_run_watch_lookup (self->history, name) == NULL)
            g_ptr_array_add (unfinished, run);
          else
            cmdb_run_unref (run);
        }
      else
        g_ptr_array_add (unfinished, run);
    }
  cmdb_run_watch_set_unfinished (self->history, unfinished->len);
  sort_runs (unfinished);
  ended = cmdb_run_watch_get_ended (self->history);
  runs = g_ptr_array_new_full (unfinished->len + ended->len, (GDestroyNotify) cmdb_run_unref);
  for (guint i = 0; i < unfinished->len; i++)
    if (run_matches (g_ptr_array_index (unfinished, i), page, status, wanted))
      g_ptr_array_add (runs, cmdb_run_ref (g_ptr_array_index (unfinished, i)));
  for (guint i = 0; i < ended->len; i++)
    if (run_matches (g_ptr_array_index (ended, i), page, status, wanted))
      g_ptr_array_add (runs, cmdb_run_ref (g_ptr_array_index (ended, i)));
  return runs;
}

GPtrArray *
cmdb_run_store_list (CmdbRunStore *self, const char *page, const char *status, GError **error)
{
  g_autoptr (GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_run_unref);
  g_autoptr (GArray) listed = g_array_new (FALSE, FALSE, sizeof (ListedRun));
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local_error = NULL;
  CmdbRunStatus wanted = CMDB_RUN_STATUS_STARTING;
  const char *name;

  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  if (status != NULL && !cmdb_run_status_from_string (status, &wanted))
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_FAILED,
                   "unknown status '%s' (expected queued, starting, running, stopping, "
                   "stopped, succeeded, failed or lost)",
                   status);
      return NULL;
    }
  if (self->history != NULL)
    return list_from_history (self, page, status, wanted, error);
  dir = g_dir_open (self->directory, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&runs);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->directory, name, NULL);
      CmdbRun *run = load_listed_run (self, path);

      if (run == NULL)
        continue;
      run = check_liveness (self, run);
      if ((page != NULL && g_strcmp0 (page, cmdb_run_get_page (run)) != 0)
          || (status != NULL && cmdb_run_get_status (run) != wanted))
        {
          cmdb_run_unref (run);
          continue;
        }
      {
        ListedRun item = { run, cmdb_run_status_is_final (cmdb_run_get_status (run)),
                           cmdb_run_get_created_time (run) };
        g_array_append_val (listed, item);
      }
    }
  g_array_sort (listed, compare_listed);
  for (guint i = 0; i < listed->len; i++)
    g_ptr_array_add (runs, g_array_index (listed, ListedRun, i).run);
  return g_steal_pointer (&runs);
}

CmdbRun *
cmdb_run_store_load (CmdbRunStore *self, const char *run_id, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *match = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;
  guint n_matches = 0;
  CmdbRun *run;

  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  g_return_val_if_fail (run_id != NULL, NULL);
  if (run_id[0] == '\0' || strchr (run_id, '/') != NULL || g_str_equal (run_id, ".")
      || g_str_equal (run_id, ".."))
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND, "no run '%s'", run_id);
      return NULL;
    }
  path = g_build_filename (self->directory, run_id, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      dir = g_dir_open (self->directory, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_prefix (name, run_id))
          {
            n_matches++;
            g_free (match);
            match = g_strdup (name);
          }
      if (n_matches != 1)
        {
          g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND,
                       n_matches == 0 ? "no run '%s'" : "'%s' matches several runs", run_id);
          return NULL;
        }
      g_free (path);
      path = g_build_filename (self->directory, match, NULL);
    }
  run = load_run (self, path, error);
  if (run == NULL)
    return NULL;
  return check_liveness (self, run);
}

CmdbRun *
cmdb_run_store_load_shared (CmdbRunStore *self, const char *run_id)
{
  g_autofree char *path = NULL;
  CmdbRun *run;

  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  if (run_id == NULL || run_id[0] == '\0' || run_id[0] == '.' || strchr (run_id, '/') != NULL)
    return NULL;
  path = g_build_filename (self->directory, run_id, NULL);
  run = load_listed_run (self, path);
  return run != NULL ? check_liveness (self, run) : NULL;
}

/* (transfer none): the executor that can stop @run_id, with (transfer full)
 * @ret_run; NULL with an error when the run ended or is unknown, NULL
 * without one when it was queued and is now cancelled (nothing more to
 * do). */
static CmdbExecutor *
stoppable_run (CmdbRunStore *self, const char *run_id, CmdbRun **ret_run, GError **error)
{
  g_autoptr (CmdbRun) run = cmdb_run_store_load (self, run_id, error);
  CmdbRunStatus status;
  CmdbExecutor *executor;

  if (run == NULL)
    return NULL;
  status = cmdb_run_get_status (run);
  /* A queued sweep member is cancelled where it waits: unless its queue
   * started it meanwhile, it is stopped before it ever ran. */
  if (status == CMDB_RUN_STATUS_QUEUED)
    {
      g_autoptr (GError) dequeue_error = NULL;
      g_autoptr (CmdbRun) cancelled
          = cmdb_run_dequeue (cmdb_run_get_directory (run), CMDB_RUN_STATUS_STOPPED,
                              "stopped while queued", &dequeue_error);

      if (cancelled != NULL)
        {
          *ret_run = NULL;
          return NULL;
        }
      if (!g_error_matches (dequeue_error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING))
        {
          g_propagate_error (error, g_steal_pointer (&dequeue_error));
          return NULL;
        }
      g_clear_pointer (&run, cmdb_run_unref);
      run = cmdb_run_store_load (self, run_id, error);
      if (run == NULL)
        return NULL;
      status = cmdb_run_get_status (run);
    }
  /* A lost run's processes may outlive its supervisor: stopping it ends
   * them (the executor knows how). */
  if (cmdb_run_status_is_final (status) && status != CMDB_RUN_STATUS_LOST)
    {
      g_set_error (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING,
                   "run %s has already ended (%s)", cmdb_run_get_id (run),
                   cmdb_run_status_to_string (status));
      return NULL;
    }
  executor = lookup_executor (self, cmdb_run_get_executor (run), error);
  if (executor != NULL)
    *ret_run = g_steal_pointer (&run);
  return executor;
}

gboolean
cmdb_run_store_stop (CmdbRunStore *self, const char *run_id, GError **error)
{
  g_autoptr (CmdbRun) run = NULL;
  GError *local_error = NULL;
  CmdbExecutor *executor = stoppable_run (self, run_id, &run, &local_error);

  if (executor == NULL)
    {
      if (local_error == NULL)
        return TRUE; /* cancelled while queued */
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return cmdb_executor_stop (executor, run, error);
}

static void
on_executor_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (cmdb_executor_stop_finish (CMDB_EXECUTOR (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cmdb_run_store_stop_async (CmdbRunStore *self, const char *run_id, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (CmdbRun) run = NULL;
  CmdbExecutor *executor;
  GError *error = NULL;

  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cmdb_run_store_stop_async);
  executor = stoppable_run (self, run_id, &run, &error);
  if (executor == NULL)
    {
      if (error == NULL)
        g_task_return_boolean (task, TRUE); /* cancelled while queued */
      else
        g_task_return_error (task, error);
      return;
    }
  cmdb_executor_stop_async (executor, run, cancellable, on_executor_stopped,
                            g_steal_pointer (&task));
}

gboolean
cmdb_run_store_stop_finish (CmdbRunStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* One update of every unfinished run whose executor has update_async():
 * completes when the last one answered. */
typedef struct
{
  guint pending;
} Updates;

static void
on_run_updated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Updates *updates = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!cmdb_executor_update_finish (CMDB_EXECUTOR (source), result, &error))
    g_debug ("a run update failed: %s", error->message);
  if (--updates->pending == 0)
    g_task_return_boolean (task, TRUE);
}

void
cmdb_run_store_update_async (CmdbRunStore *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GPtrArray) runs = NULL;
  Updates *updates = g_new0 (Updates, 1);

  g_return_if_fail (CMDB_IS_RUN_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cmdb_run_store_update_async);
  g_task_set_task_data (task, updates, g_free);
  /* Held until every update was started, so none completes the task early. */
  updates->pending = 1;
  runs = cmdb_run_store_list (self, NULL, NULL, NULL);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (runs, i);
      CmdbExecutor *executor;

      if (cmdb_run_status_is_final (cmdb_run_get_status (run)))
        break; /* listed unfinished first */
      executor = lookup_executor (self, cmdb_run_get_executor (run), NULL);
      if (executor == NULL || !cmdb_executor_has_update (executor))
        continue;
      updates->pending++;
      cmdb_executor_update_async (executor, run, cancellable, on_run_updated, g_object_ref (task));
    }
  if (--updates->pending == 0)
    g_task_return_boolean (task, TRUE);
}

gboolean
cmdb_run_store_update_finish (CmdbRunStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

CmdbRun *
cmdb_run_store_wait (CmdbRunStore *self, const char *run_id, gint64 timeout_ms, GError **error)
{
  gint64 deadline = timeout_ms < 0 ? G_MAXINT64 : g_get_monotonic_time () + timeout_ms * 1000;

  g_return_val_if_fail (CMDB_IS_RUN_STORE (self), NULL);
  for (;;)
    {
      g_autoptr (CmdbRun) run = cmdb_run_store_load (self, run_id, error);

      if (run == NULL)
        return NULL;
      if (cmdb_run_status_is_final (cmdb_run_get_status (run)))
        return g_steal_pointer (&run);
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "run %s did not end within %" G_GINT64_FORMAT " ms", cmdb_run_get_id (run),
                       timeout_ms);
          return NULL;
        }
      g_usleep (WAIT_POLL_USEC);
    }
}
