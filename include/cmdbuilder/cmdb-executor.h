/* cmdb-executor.h: runs, the run store, executors and log followers.
 *
 * A run is one execution of a page's command. Every run has a directory
 * <state dir>/runs/<run id>/ holding run.json (the record, rewritten
 * atomically) and the per-stream logs stdout.log and stderr.log, which keep
 * every byte the command wrote. Any process that opens the same workspace
 * (the server, the CLI) sees the same runs through these files; docs/runs.md
 * describes the layout, the statuses and the stop semantics.
 *
 * Executors are an extension point: the core provides the "local" executor
 * (a supervisor process per run), plugins may add others (Slurm) by
 * implementing CmdbExecutor and registering it with the store. A store
 * given the plugin host loads an executor plugin (X-Kind=executor) the first
 * time a run names its id; an executor with a "context" property
 * (CmdbContext) then gets the store's context, for its configuration.
 */
#pragma once

#if !defined(CMDBUILDER_INSIDE) && !defined(CMDBUILDER_COMPILATION)
#error "Only <cmdbuilder/cmdbuilder.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "cmdb-context.h"
#include "cmdb-schema.h"

G_BEGIN_DECLS

#define CMDB_RUN_ERROR (cmdb_run_error_quark ())

typedef enum
{
  CMDB_RUN_ERROR_FAILED,
  CMDB_RUN_ERROR_NOT_FOUND,        /* no run has this id (or the prefix is ambiguous) */
  CMDB_RUN_ERROR_INVALID,          /* run.json is unreadable or malformed */
  CMDB_RUN_ERROR_NOT_RUNNING,      /* stop of a run that already ended */
  CMDB_RUN_ERROR_UNKNOWN_EXECUTOR, /* no executor has this id */
  CMDB_RUN_ERROR_START,            /* the run could not be started */
  CMDB_RUN_ERROR_TOO_BIG,          /* a bounded buffer would exceed its cap */
  CMDB_RUN_ERROR_NEWER_FORMAT,     /* run.json is of a newer format than this build reads */
} CmdbRunError;

/**
 * cmdb_run_error_quark:
 *
 * Returns: the error domain.
 */
CMDB_AVAILABLE_IN_ALL
GQuark cmdb_run_error_quark (void);

/* The life of a run: starting -> running -> (stopping -> stopped) |
 * succeeded | failed. lost is never written: it is what a reader sees when
 * the process watching the run is gone without recording an end. A member
 * of a sweep waits as queued (-> starting, or -> stopped when cancelled)
 * until its sweep's queue starts it. */
typedef enum
{
  CMDB_RUN_STATUS_STARTING,
  CMDB_RUN_STATUS_RUNNING,
  CMDB_RUN_STATUS_STOPPING,
  CMDB_RUN_STATUS_STOPPED,
  CMDB_RUN_STATUS_SUCCEEDED,
  CMDB_RUN_STATUS_FAILED,
  CMDB_RUN_STATUS_LOST,
  CMDB_RUN_STATUS_QUEUED,
} CmdbRunStatus;

/**
 * cmdb_run_status_to_string:
 *
 * Returns: (transfer none): "starting", "running", ... as written in run.json.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_status_to_string (CmdbRunStatus status);
/**
 * cmdb_run_status_from_string:
 * @text: a status name
 * @ret_status: (out): the status
 *
 * FALSE when @text names no status.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_status_from_string (const char *text, CmdbRunStatus *ret_status);
/**
 * cmdb_run_status_is_final:
 *
 * TRUE for stopped, succeeded, failed and lost: nothing will change any more.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_status_is_final (CmdbRunStatus status);

typedef enum
{
  CMDB_RUN_STREAM_STDOUT,
  CMDB_RUN_STREAM_STDERR,
} CmdbRunStream;

/**
 * cmdb_run_stream_to_string:
 *
 * Returns: (transfer none): "stdout" or "stderr".
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_stream_to_string (CmdbRunStream stream);

/* ------------------------------------------------------------------ */
/* CmdbRun: one run's record, a snapshot of run.json when it was loaded. */

typedef struct _CmdbRun CmdbRun;

#define CMDB_TYPE_RUN (cmdb_run_get_type ())
/**
 * cmdb_run_get_type:
 *
 * Returns: the boxed GType, for bindings.
 */
CMDB_AVAILABLE_IN_ALL
GType cmdb_run_get_type (void) G_GNUC_CONST;

/**
 * cmdb_run_ref:
 * @run: the object
 *
 * Returns: (transfer full): @run, with one more reference.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_ref (CmdbRun *run);
/**
 * cmdb_run_unref:
 * @run: (transfer full): drops this reference; freed with the last
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_unref (CmdbRun *run);

/**
 * cmdb_run_load_from_directory:
 *
 * Reads <@directory>/run.json, of any format version up to this build's (an earlier one is
 * migrated in memory; docs/runs.md). Returns (transfer full) the run, or NULL with
 * CMDB_RUN_ERROR_INVALID / NOT_FOUND / NEWER_FORMAT (a newer build wrote it; it is left
 * untouched). The status is as recorded (no liveness check: the store does that).
 *
 * Returns: (transfer full): the run, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_load_from_directory (const char *directory, GError **error);
/**
 * cmdb_run_save:
 *
 * Writes run.json atomically (temporary file, fsync, rename), in this build's format version.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_save (CmdbRun *run, GError **error);

/**
 * cmdb_run_get_id:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_id (CmdbRun *run);
/**
 * cmdb_run_get_directory:
 * @run: the run
 *
 * Returns: (transfer none): the run's directory.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_directory (CmdbRun *run);
/**
 * cmdb_run_get_page:
 * @run: the run
 *
 * Returns: (transfer none) (nullable): the page it ran, NULL for `cmdbuilder exec` without one.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_page (CmdbRun *run);
/**
 * cmdb_run_get_executor:
 * @run: the run
 *
 * Returns: (transfer none): the id of the executor that runs it.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_executor (CmdbRun *run);
/**
 * cmdb_run_get_argv:
 *
 * Returns: (transfer none) (array zero-terminated=1): what is executed, exactly as recorded (in a
 *   moved workspace it names the old place; docs/runs.md).
 */
CMDB_AVAILABLE_IN_ALL
const char *const *cmdb_run_get_argv (CmdbRun *run);
/**
 * cmdb_run_get_command:
 *
 * Returns: (transfer none): the page's command text as displayed.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_command (CmdbRun *run);
/**
 * cmdb_run_get_edited_command:
 *
 * Returns: (transfer none) (nullable): the user's text, when it was edited.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_edited_command (CmdbRun *run);
/**
 * cmdb_run_get_edited:
 * @run: the run
 *
 * Returns: whether what runs is the user's edited text.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_get_edited (CmdbRun *run);
/**
 * cmdb_run_get_working_directory:
 *
 * Returns: (transfer none): the working directory (the workspace root).
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_working_directory (CmdbRun *run);
/**
 * cmdb_run_get_status:
 *
 * The effective status: lost when the store found the watcher gone.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRunStatus cmdb_run_get_status (CmdbRun *run);
/**
 * cmdb_run_get_exit_code:
 * @run: the run
 * @ret_exit_code: (out) (optional): the exit code
 *
 * The exit code (128 + signal number when killed by a signal); FALSE when the command has not
 * ended (or never started).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_get_exit_code (CmdbRun *run, int *ret_exit_code);
/**
 * cmdb_run_get_message:
 *
 * Returns: (transfer none) (nullable): why the run failed to start, or was lost.
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_get_message (CmdbRun *run);
/**
 * cmdb_run_get_created_time:
 *
 * Microseconds since the epoch; 0 when not (yet) set.
 */
CMDB_AVAILABLE_IN_ALL
gint64 cmdb_run_get_created_time (CmdbRun *run);
/**
 * cmdb_run_get_started_time:
 * @run: the run
 *
 * Returns: when it started, microseconds since the epoch; 0 when not (yet).
 */
CMDB_AVAILABLE_IN_ALL
gint64 cmdb_run_get_started_time (CmdbRun *run);
/**
 * cmdb_run_get_ended_time:
 * @run: the run
 *
 * Returns: when it ended, microseconds since the epoch; 0 when not (yet).
 */
CMDB_AVAILABLE_IN_ALL
gint64 cmdb_run_get_ended_time (CmdbRun *run);
/**
 * cmdb_run_get_log_path:
 *
 * Returns: (transfer full): <directory>/<stream>.log
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_run_get_log_path (CmdbRun *run, CmdbRunStream stream);
/**
 * cmdb_run_get_final_log_size:
 * @run: the run
 * @stream: the stream
 * @ret_size: (out) (optional): the size in bytes
 *
 * The final size of a stream's log once the run ended, so a follower knows it has read everything;
 * FALSE while the run is going.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_get_final_log_size (CmdbRun *run, CmdbRunStream stream, guint64 *ret_size);
/**
 * cmdb_run_get_data:
 *
 * Returns: (transfer none): the whole record, for executors that keep their own keys (prefix them
 *   with the executor id) and for callers that show it. Changes are written by cmdb_run_save().
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_run_get_data (CmdbRun *run);
/**
 * cmdb_run_to_json:
 *
 * Returns: (transfer full): the record as shown to users: run.json plus the effective "status"
 *   (lost included).
 */
CMDB_AVAILABLE_IN_ALL
JsonNode *cmdb_run_to_json (CmdbRun *run);

/**
 * cmdb_run_find_producer:
 * @context: the workspace
 * @path: a file of an experiment directory (<outputs>/<experiment>/...,
 *   outputs being cmdb_context_get_outputs_dir()); relative to the
 *   workspace root unless absolute
 * @page: (nullable): only runs of this page
 *
 * The recorded run that wrote @path: among the runs whose record names its
 * experiment (and whose page is @page, when not NULL), the newest one
 * created before @path was last modified. Records are read through the
 * context's cache: a lookup parses nothing while the history is unchanged.
 *
 * Returns: (transfer full) (nullable): the run, a shared snapshot to read,
 *   not to modify; NULL when none is recorded (the file is older than every
 *   such run, or their records were deleted).
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_find_producer (CmdbContext *context, const char *path, const char *page);

/**
 * cmdb_run_set_status:
 *
 * For executors: update the record (then cmdb_run_save()).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_set_status (CmdbRun *run, CmdbRunStatus status);
/**
 * cmdb_run_set_message:
 * @run: the run
 * @message: (nullable): why it failed or was lost
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_set_message (CmdbRun *run, const char *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbRun, cmdb_run_unref)

/* ------------------------------------------------------------------ */
/* CmdbExecutor: how runs are started, stopped and checked.
 *
 * Nothing may block the server's main loop: a method that may wait on a
 * process or the network (a cluster's tools) has an _async/_finish form with
 * a GCancellable, and the server calls only those. An executor implements
 * either form of each method; the other one is provided:
 *   - only the synchronous form: the _async wrapper calls it and completes at
 *     once (right for work that never waits, like the local executor's);
 *   - only the _async form: the synchronous wrapper runs it on a private main
 *     context until it completes (for the CLI and tests, which have no other
 *     work; never called by the server).
 * is_alive() must answer from memory and files at once: an executor that
 * must ask something to know a run's state does so in update_async(), which
 * the server calls in the background and the synchronous readers of the run
 * store (the CLI) call before is_alive(). */

#define CMDB_TYPE_EXECUTOR (cmdb_executor_get_type ())
CMDB_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (CmdbExecutor, cmdb_executor, CMDB, EXECUTOR, GObject)

/* The annotations of the methods, for bindings. */
/**
 * CmdbExecutorInterface::get_id:
 * @self: the executor
 *
 * Returns: (transfer none): the executor id.
 */
/**
 * CmdbExecutorInterface::start:
 * @self: the executor
 * @run: the run
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when the executor failed.
 */
/**
 * CmdbExecutorInterface::stop:
 * @self: the executor
 * @run: the run
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when the executor failed.
 */
/**
 * CmdbExecutorInterface::is_alive:
 * @self: the executor
 * @run: the run
 *
 * Returns: whether whatever watches @run is still there.
 */
/**
 * CmdbExecutorInterface::check_options:
 * @self: the executor
 * @options: the run request's executor options
 *
 * Returns: (transfer full): KEY -> problem text.
 */
/**
 * CmdbExecutorInterface::start_async:
 * @self: the executor
 * @run: the run
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called when it completes
 * @user_data: (closure): for @callback
 */
/**
 * CmdbExecutorInterface::stop_async:
 * @self: the executor
 * @run: the run
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called when it completes
 * @user_data: (closure): for @callback
 */
/**
 * CmdbExecutorInterface::check_options_async:
 * @self: the executor
 * @options: the run request's executor options
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called when it completes
 * @user_data: (closure): for @callback
 */
/**
 * CmdbExecutorInterface::update_async:
 * @self: the executor
 * @run: the run
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called when it completes
 * @user_data: (closure): for @callback
 */
/**
 * CmdbExecutorInterface::start_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when the executor failed.
 */
/**
 * CmdbExecutorInterface::stop_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when the executor failed.
 */
/**
 * CmdbExecutorInterface::update_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when the question failed.
 */
/**
 * CmdbExecutorInterface::check_options_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): KEY -> problem text, or NULL with @error set.
 */
/**
 * CmdbExecutorInterface::load_options_form:
 * @self: the executor
 * @cache: the cache to read the form through
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the options' form, or NULL (with @error when it cannot
 *   be read).
 */
/**
 * CmdbExecutorInterface::start_group_async:
 * @self: the executor
 * @runs: (element-type CmdbRun): the queued members of one sweep, in order
 * @parallel: how many may run at a time
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called when it completes
 * @user_data: (closure): for @callback
 */
struct _CmdbExecutorInterface
{
  GTypeInterface parent_iface;

  /* (transfer none): the id recorded in run.json ("local", "slurm"). */
  const char *(*get_id) (CmdbExecutor *self);

  /* Starts @run, whose directory and run.json (status starting) exist.
   * Returns once the command started or failed to start; a command that
   * cannot be executed is not an error here: the run is recorded as failed
   * with a message. Returns FALSE only when the executor itself failed. */
  gboolean (*start) (CmdbExecutor *self, CmdbRun *run, GError **error);

  /* Asks a running run to stop; returns without waiting for it. */
  gboolean (*stop) (CmdbExecutor *self, CmdbRun *run, GError **error);

  /* Whether whatever watches an unfinished @run is still there; when it is
   * not, readers see the run as lost. Optional: missing means alive. */
  gboolean (*is_alive) (CmdbExecutor *self, CmdbRun *run);

  /* Checks @options (a run request's executor_options, KEY -> value) before
   * any run is created, so a form can show each problem next to its field.
   * Returns (transfer full) KEY -> problem text for each wrong value (empty:
   * nothing is). Optional: missing means nothing can be checked before the
   * start (the start still records what is wrong). May ask the cluster. */
  JsonObject *(*check_options) (CmdbExecutor *self, JsonObject *options);

  /* The forms that do not block (see above). _finish returns what the
   * synchronous form returns. */
  void (*start_async) (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*start_finish) (CmdbExecutor *self, GAsyncResult *result, GError **error);
  void (*stop_async) (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*stop_finish) (CmdbExecutor *self, GAsyncResult *result, GError **error);
  void (*check_options_async) (CmdbExecutor *self, JsonObject *options, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
  JsonObject *(*check_options_finish) (CmdbExecutor *self, GAsyncResult *result, GError **error);

  /* The status: asks whatever runs @run (a cluster) for its state and keeps
   * the answer where is_alive() finds it; may update the record. Optional:
   * missing means is_alive() needs nothing asked. An executor may skip the
   * question when its last answer is recent. */
  void (*update_async) (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*update_finish) (CmdbExecutor *self, GAsyncResult *result, GError **error);

  /* The form of the executor's options (the schema format of
   * docs/schema-format.md; per element `option`, the executor_options key,
   * and optionally `config_default` and `options_command`), loaded through
   * @cache. Returns (transfer full) the schema, or NULL: with @error when it
   * cannot be read, without when the executor has no options. Optional:
   * missing means no options. Reads a file: never waits otherwise. */
  CmdbSchema *(*load_options_form) (CmdbExecutor *self, CmdbCache *cache, GError **error);

  /* A whole sweep at once: starts @runs (queued members of one sweep, in
   * order) as one group of which at most @parallel run at a time, each
   * recorded as start_async() records a run (a Slurm job array). Optional:
   * missing means the sweep's queue starts its members one by one. The
   * sweep supervisor calls it, never the server. */
  void (*start_group_async) (CmdbExecutor *self, GPtrArray *runs, guint parallel,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data);
  gboolean (*start_group_finish) (CmdbExecutor *self, GAsyncResult *result, GError **error);
};

/**
 * cmdb_executor_get_id:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_executor_get_id (CmdbExecutor *self);
/**
 * cmdb_executor_start:
 * @self: the executor
 * @run: the run, recorded as starting
 * @error: return location for an error
 *
 * The synchronous form of cmdb_executor_start_async() (the CLI, tests; never the server).
 *
 * Returns: FALSE with @error set when the executor failed.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_start (CmdbExecutor *self, CmdbRun *run, GError **error);
/**
 * cmdb_executor_stop:
 * @self: the executor
 * @run: the run
 * @error: return location for an error
 *
 * The synchronous form of cmdb_executor_stop_async().
 *
 * Returns: FALSE with @error set when the executor failed.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_stop (CmdbExecutor *self, CmdbRun *run, GError **error);
/**
 * cmdb_executor_is_alive:
 * @self: the executor
 * @run: an unfinished run
 *
 * Returns: whether whatever watches @run is still there (TRUE for an executor without is_alive).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_is_alive (CmdbExecutor *self, CmdbRun *run);
/**
 * cmdb_executor_check_options:
 *
 * Returns: (transfer full): see CmdbExecutorInterface.check_options; an empty object for executors
 *   that do not check.
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_executor_check_options (CmdbExecutor *self, JsonObject *options);
/**
 * cmdb_executor_load_options_form:
 *
 * Returns: (transfer full) (nullable): see CmdbExecutorInterface.load_options_form; NULL without
 *   @error for an executor without options.
 */
CMDB_AVAILABLE_IN_ALL
CmdbSchema *cmdb_executor_load_options_form (CmdbExecutor *self, CmdbCache *cache, GError **error);
/**
 * cmdb_executor_can_start_group:
 *
 * Whether the executor starts a sweep's members as one group (start_group_async(), a Slurm job
 * array).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_can_start_group (CmdbExecutor *self);
/**
 * cmdb_executor_start_group:
 * @runs: (element-type CmdbRun): the queued members of one sweep, in order
 *
 * Starts @runs as one group (see CmdbExecutorInterface.start_group_async), on a private main
 * context until it is done.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_start_group (CmdbExecutor *self, GPtrArray *runs, guint parallel,
                                    GError **error);
/**
 * cmdb_executor_has_update:
 *
 * Whether the executor has an update_async() (its is_alive() then reads what the last update
 * found).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_has_update (CmdbExecutor *self);
/**
 * cmdb_executor_update:
 *
 * Brings what the executor knows of @run up to date; TRUE at once for an executor without
 * update_async().
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_update (CmdbExecutor *self, CmdbRun *run, GError **error);

/**
 * cmdb_executor_start_async:
 * @self: the executor
 * @run: the run
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called once, on the caller's main context
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_executor_start_async (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_executor_start_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when it failed.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_start_finish (CmdbExecutor *self, GAsyncResult *result, GError **error);
/**
 * cmdb_executor_stop_async:
 * @self: the executor
 * @run: the run
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called once, on the caller's main context
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_executor_stop_async (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_executor_stop_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when it failed.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_stop_finish (CmdbExecutor *self, GAsyncResult *result, GError **error);
/**
 * cmdb_executor_check_options_async:
 * @self: the executor
 * @options: a run request's executor options
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called once, on the caller's main context
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_executor_check_options_async (CmdbExecutor *self, JsonObject *options,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
/**
 * cmdb_executor_check_options_finish:
 *
 * Returns: (transfer full): as cmdb_executor_check_options(); NULL only with @error (cancelled).
 */
CMDB_AVAILABLE_IN_ALL
JsonObject *cmdb_executor_check_options_finish (CmdbExecutor *self, GAsyncResult *result,
                                                GError **error);
/**
 * cmdb_executor_update_async:
 * @self: the executor
 * @run: the run
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called once, on the caller's main context
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_executor_update_async (CmdbExecutor *self, CmdbRun *run, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_executor_update_finish:
 * @self: the executor
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when it failed.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_executor_update_finish (CmdbExecutor *self, GAsyncResult *result, GError **error);

/* For executors: runs @argv (PATH searched) in @cwd (nullable) with stdout
 * and stderr captured, for at most @timeout_ms; completes with the output
 * and exit status (cmdb_tool_result_*), or with an error: the tool is not
 * installed (G_IO_ERROR_NOT_FOUND), did not end within the timeout
 * (G_IO_ERROR_TIMED_OUT, "<tool> did not answer within N s"; it is
 * killed), or @cancellable was cancelled. Never blocks the caller. */
typedef struct _CmdbToolResult CmdbToolResult;

/**
 * cmdb_tool_run_async:
 * @argv: (array zero-terminated=1): the tool and its arguments
 * @cwd: (nullable): the working directory
 * @timeout_ms: the longest wait
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called with the outcome
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_tool_run_async (const char *const *argv, const char *cwd, guint timeout_ms,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
/**
 * cmdb_tool_run_finish: (skip)
 *
 * Returns: (transfer full) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
CmdbToolResult *cmdb_tool_run_finish (GAsyncResult *result, GError **error);
/**
 * cmdb_tool_result_free:
 * @result: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_tool_result_free (CmdbToolResult *result);
/**
 * cmdb_tool_result_get_stdout:
 *
 * Returns: (transfer none): what it wrote, as text (invalid UTF-8 replaced).
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_tool_result_get_stdout (CmdbToolResult *result);
/**
 * cmdb_tool_result_get_stderr:
 * @result: the tool's outcome
 *
 * Returns: (transfer none): what it wrote on stderr, as text (invalid UTF-8 replaced).
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_tool_result_get_stderr (CmdbToolResult *result);
/**
 * cmdb_tool_result_get_status:
 *
 * Its exit status; 128 + signal number when a signal ended it.
 */
CMDB_AVAILABLE_IN_ALL
int cmdb_tool_result_get_status (CmdbToolResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbToolResult, cmdb_tool_result_free)

/* ------------------------------------------------------------------ */
/* CmdbRunStore: the runs of one workspace. */

#define CMDB_TYPE_RUN_STORE (cmdb_run_store_get_type ())
CMDB_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (CmdbRunStore, cmdb_run_store, CMDB, RUN_STORE, GObject)

/**
 * cmdb_run_store_new:
 *
 * Returns: (transfer full): the runs under cmdb_context_get_state_dir (@context)/runs, with the
 *   local executor registered. [run] stop-grace is read from the context's configuration when a
 *   run is created.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRunStore *cmdb_run_store_new (CmdbContext *context);
/**
 * cmdb_run_store_get_directory:
 *
 * Returns: (transfer none):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_store_get_directory (CmdbRunStore *self);
/**
 * cmdb_run_store_add_executor:
 *
 * Adds (or replaces) an executor, under its own id.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_store_add_executor (CmdbRunStore *self, CmdbExecutor *executor);
/**
 * cmdb_run_store_get_executor:
 *
 * Returns: (transfer none) (nullable): a registered executor; loads nothing.
 */
CMDB_AVAILABLE_IN_ALL
CmdbExecutor *cmdb_run_store_get_executor (CmdbRunStore *self, const char *executor_id);
/**
 * cmdb_run_store_load_executor:
 *
 * Returns: (transfer none): the executor @executor_id, loading its plugin (through the host given
 *   with cmdb_run_store_set_host()) on first use, as starting a run does. NULL with
 *   CMDB_RUN_ERROR_UNKNOWN_EXECUTOR when there is none or it cannot be loaded.
 */
CMDB_AVAILABLE_IN_ALL
CmdbExecutor *cmdb_run_store_load_executor (CmdbRunStore *self, const char *executor_id,
                                            GError **error);
/**
 * cmdb_run_store_set_supervisor_program:
 *
 * The program the local executor runs as `PROGRAM supervise RUN_DIR`: by default this process's
 * own executable when it is cmdbuilder, else cmdbuilder from PATH. Tests and embedders set it.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_store_set_supervisor_program (CmdbRunStore *self, const char *program);
/**
 * cmdb_run_store_get_supervisor_program:
 *
 * Returns: (transfer none) (nullable):
 */
CMDB_AVAILABLE_IN_ALL
const char *cmdb_run_store_get_supervisor_program (CmdbRunStore *self);

/**
 * cmdb_run_store_create:
 * @argv: (array zero-terminated=1): the page's command
 * @values: (nullable): the form values
 *
 * Records a new run (status starting) without starting it. @argv is the page's command; when
 * @edited_command is non-NULL and differs from @command, it is what runs (split with
 * cmdb_shell_split) and the run is marked edited. @values (nullable) is the form values object,
 * copied. @executor_id NULL means [run] executor (default "local"). Returns (transfer full) the
 * run, or NULL with an error (unknown executor, an edited text that does not split, an empty argv,
 * I/O).
 *
 * Returns: (transfer full): the run, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_store_create (CmdbRunStore *self, const char *page, const char *const *argv,
                                const char *command, const char *edited_command, JsonObject *values,
                                const char *executor_id, GError **error);
/**
 * cmdb_run_store_start:
 *
 * Starts @run with its executor; returns once the command started or failed to start. Returns
 * (transfer full) the run as recorded then (running, or failed with a message such as "cannot run
 * 'x': No such file or directory" and exit code 127), or NULL when the executor failed.
 *
 * Returns: (transfer full): the run as recorded, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_store_start (CmdbRunStore *self, CmdbRun *run, GError **error);
/**
 * cmdb_run_store_start_async:
 *
 * The same without waiting: completes with (transfer full) the run as recorded once the executor's
 * start_async() completed.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_store_start_async (CmdbRunStore *self, CmdbRun *run, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_run_store_start_finish:
 *
 * Returns: (transfer full): the run as recorded, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_store_start_finish (CmdbRunStore *self, GAsyncResult *result, GError **error);
/**
 * cmdb_run_store_list:
 * @page: (nullable): only this page's runs
 * @status: (nullable): only runs of this status
 *
 * Returns: (transfer full) (element-type CmdbRun): the runs, unfinished ones first, then newest
 *   first. @page and @status (nullable) filter; @status is a status name. Unreadable run
 *   directories are skipped. Ended runs come from the context's cache (parsed once while their
 *   run.json is unchanged) and are shared with later listings: read them, do not modify them.
 */
CMDB_AVAILABLE_IN_ALL
GPtrArray *cmdb_run_store_list (CmdbRunStore *self, const char *page, const char *status,
                                GError **error);
/**
 * cmdb_run_store_load:
 *
 * Returns: (transfer full): the run with id @run_id, or the only one whose id starts with it; its
 *   status is checked (lost when its watcher is gone).
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_store_load (CmdbRunStore *self, const char *run_id, GError **error);
/**
 * cmdb_run_store_stop:
 *
 * Asks the run to stop (CMDB_RUN_ERROR_NOT_RUNNING when it has ended); does not wait.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_store_stop (CmdbRunStore *self, const char *run_id, GError **error);
/**
 * cmdb_run_store_stop_async:
 * @self: the store
 * @run_id: a run id or a unique prefix
 * @cancellable: (nullable): cancels the call
 * @callback: (scope async): called once
 * @user_data: (closure): for @callback
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_store_stop_async (CmdbRunStore *self, const char *run_id, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_run_store_stop_finish:
 * @self: the store
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set (CMDB_RUN_ERROR_NOT_RUNNING when the run has ended).
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_store_stop_finish (CmdbRunStore *self, GAsyncResult *result, GError **error);
/**
 * cmdb_run_store_set_background_updates:
 *
 * Whether executors' update_async() is called by whoever owns the store, in the background
 * (cmdb_run_store_update_async()): loading and listing runs then never waits for an executor.
 * Default FALSE: each liveness check first brings the executor's answer up to date (the CLI).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_store_set_background_updates (CmdbRunStore *self, gboolean background);
/**
 * cmdb_run_store_update_async:
 *
 * Calls update_async() of the executor of every unfinished run; completes when all answered (an
 * executor's failure is only logged).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_run_store_update_async (CmdbRunStore *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/**
 * cmdb_run_store_update_finish:
 * @self: the store
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Returns: FALSE with @error set when it was cancelled.
 */
CMDB_AVAILABLE_IN_ALL
gboolean cmdb_run_store_update_finish (CmdbRunStore *self, GAsyncResult *result, GError **error);
/**
 * cmdb_run_store_wait:
 *
 * Waits until the run is final, polling its record; @timeout_ms < 0 waits forever. Returns
 * (transfer full) the final run, or NULL with G_IO_ERROR_TIMED_OUT or a load error. Blocks the
 * calling thread.
 *
 * Returns: (transfer full): the final run, or NULL with @error set.
 */
CMDB_AVAILABLE_IN_ALL
CmdbRun *cmdb_run_store_wait (CmdbRunStore *self, const char *run_id, gint64 timeout_ms,
                              GError **error);

/* ------------------------------------------------------------------ */
/* Log followers: byte-exact, resumable reads of one stream. */

typedef struct _CmdbLogReader CmdbLogReader;

/**
 * cmdb_log_reader_new: (skip)
 *
 * Returns: (transfer full): a reader of @stream of @run starting at byte @offset (a follower that
 *   reconnects passes the offset it had reached). The log file may not exist yet: reads then
 *   return 0.
 */
CMDB_AVAILABLE_IN_ALL
CmdbLogReader *cmdb_log_reader_new (CmdbRun *run, CmdbRunStream stream, guint64 offset);
/**
 * cmdb_log_reader_free:
 * @reader: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_log_reader_free (CmdbLogReader *reader);
/**
 * cmdb_log_reader_read:
 *
 * Reads at most @size bytes into @buffer (the caller's buffer is the only memory used). Returns
 * the number of bytes read, 0 at the current end of the log, -1 with @error on an I/O error.
 */
CMDB_AVAILABLE_IN_ALL
gssize cmdb_log_reader_read (CmdbLogReader *reader, guint8 *buffer, gsize size, GError **error);
/**
 * cmdb_log_reader_get_offset:
 *
 * The offset of the next byte to read.
 */
CMDB_AVAILABLE_IN_ALL
guint64 cmdb_log_reader_get_offset (CmdbLogReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbLogReader, cmdb_log_reader_free)

/* ------------------------------------------------------------------ */
/* Log views: what a person reads. Bytes go in, complete lines come out:
 * carriage-return progress updates (tqdm) collapse into the last state of
 * the line, "\r\n" ends a line, lines longer than the cap are split (UTF-8
 * sequences kept whole), invalid UTF-8 becomes U+FFFD. The view holds at
 * most one partial line (at most the cap), whatever is fed. Classify the
 * lines for highlighting with cmdb_shell_classify_line() (cmdb-hydra.h). */

typedef struct _CmdbLogView CmdbLogView;

/**
 * cmdb_log_view_new: (skip)
 *
 * Returns: (transfer full): @max_line_bytes >= 16 (lines are split beyond it).
 */
CMDB_AVAILABLE_IN_ALL
CmdbLogView *cmdb_log_view_new (gsize max_line_bytes);
/**
 * cmdb_log_view_free:
 * @view: (transfer full): what to free
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_log_view_free (CmdbLogView *view);
/**
 * cmdb_log_view_feed:
 * @view: the view
 * @data: (array length=length): the bytes
 * @length: how many
 * @lines: (element-type utf8): where completed lines are appended
 *
 * Appends each completed line (char *, transfer full, no newline) to @lines. Feed bounded chunks
 * to keep @lines bounded.
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_log_view_feed (CmdbLogView *view, const char *data, gsize length, GPtrArray *lines);
/**
 * cmdb_log_view_finish:
 * @lines: (element-type utf8): where the partial line is appended
 *
 * Appends the pending partial line, if any, and resets the view (the stream ended).
 */
CMDB_AVAILABLE_IN_ALL
void cmdb_log_view_finish (CmdbLogView *view, GPtrArray *lines);
/**
 * cmdb_log_view_peek_partial:
 *
 * Returns: (transfer full) (nullable): the partial line as it would show now (a progress bar in
 *   progress), or NULL when there is none.
 */
CMDB_AVAILABLE_IN_ALL
char *cmdb_log_view_peek_partial (CmdbLogView *view);
/**
 * cmdb_log_view_get_buffered:
 *
 * Bytes held for the partial line (never more than the cap).
 */
CMDB_AVAILABLE_IN_ALL
gsize cmdb_log_view_get_buffered (CmdbLogView *view);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbLogView, cmdb_log_view_free)

G_END_DECLS
