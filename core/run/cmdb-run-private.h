/* cmdb-run-private.h: the run area's internals, shared by the store, the
 * local executor, the supervisor and the CLI. */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

/* File names inside a run directory. */
#define CMDB_RUN_RECORD_NAME "run.json"

/* (transfer full): a new run record in @directory (not yet saved). */
#define cmdb_run_new_record _cmdb_run_new_record
CMDB_PRIVATE_EXPORT
CmdbRun *cmdb_run_new_record (const char *directory, const char *id);
void cmdb_run_set_string (CmdbRun *run, const char *key, const char *value);
#define cmdb_run_set_argv _cmdb_run_set_argv
CMDB_PRIVATE_EXPORT
void cmdb_run_set_argv (CmdbRun *run, const char *const *argv);
#define cmdb_run_set_int _cmdb_run_set_int
CMDB_PRIVATE_EXPORT
void cmdb_run_set_int (CmdbRun *run, const char *key, gint64 value);
/* The integer at @key, or @default_value when absent or null. */
#define cmdb_run_get_int _cmdb_run_get_int
CMDB_PRIVATE_EXPORT
gint64 cmdb_run_get_int (CmdbRun *run, const char *key, gint64 default_value);
/* Sets @key to the current time (ISO 8601, UTC, microseconds). */
void cmdb_run_set_time_now (CmdbRun *run, const char *key);
/* A moved or cloned workspace (docs/runs.md). The record keeps what ran,
 * exactly; "workspace" names the root it was created in (format 1 records:
 * their "cwd"). The store tells each run it loads which workspace it is
 * read from now. */
/* (transfer none) (nullable): the recorded workspace root. */
const char *cmdb_run_get_workspace (CmdbRun *run);
void cmdb_run_set_workspace_now (CmdbRun *run, const char *root);
/* (transfer none) (nullable): the recorded workspace root when the run is
 * read from another one, else NULL. */
#define cmdb_run_get_moved_from _cmdb_run_get_moved_from
CMDB_PRIVATE_EXPORT
const char *cmdb_run_get_moved_from (CmdbRun *run);
/* (transfer none): the argv with paths under the recorded workspace moved
 * to the current one (the argv itself when the workspace did not move):
 * what a rerun executes. */
#define cmdb_run_get_relocated_argv _cmdb_run_get_relocated_argv
CMDB_PRIVATE_EXPORT
const char *const *cmdb_run_get_relocated_argv (CmdbRun *run);
/* (transfer full) (nullable): @text (a command of this run) relocated the
 * same way. */
#define cmdb_run_relocate_text _cmdb_run_relocate_text
CMDB_PRIVATE_EXPORT
char *cmdb_run_relocate_text (CmdbRun *run, const char *text);
/* Since when a run waits for its watcher: its creation, or for a sweep
 * member, when it left the queue ("dequeued_at"). Microseconds. */
gint64 cmdb_run_get_unstarted_since (CmdbRun *run);
/* Marks a run the store found abandoned: status lost, with @message. */
void cmdb_run_mark_lost (CmdbRun *run, const char *message);

/* Lets @self load executor plugins through @host the first time a run
 * names an executor id it does not have (lazily: a module is mapped only
 * when a run asks for its executor). The store keeps a reference. An
 * executor that has a "context" property (CmdbContext) gets the store's
 * context, for its configuration. */
typedef struct _CmdbHost CmdbHost;
#define cmdb_run_store_set_host _cmdb_run_store_set_host
CMDB_PRIVATE_EXPORT
void cmdb_run_store_set_host (CmdbRunStore *self, CmdbHost *host);

/* (transfer none): the context @self reads its workspace from. */
#define cmdb_run_store_get_context _cmdb_run_store_get_context
CMDB_PRIVATE_EXPORT
CmdbContext *cmdb_run_store_get_context (CmdbRunStore *self);

/* (transfer full) (nullable): the run of exactly @run_id, as listings read
 * it: an ended run comes from the shared cache (its record parsed once,
 * not at every read), so the object is a shared snapshot its callers only
 * read; an unfinished one is read afresh and checked for liveness, like
 * cmdb_run_store_load(). NULL when there is no such run. For pages that
 * read many known runs (a sweep's members). */
#define cmdb_run_store_load_shared _cmdb_run_store_load_shared
CMDB_PRIVATE_EXPORT
CmdbRun *cmdb_run_store_load_shared (CmdbRunStore *self, const char *run_id);

/* The local executor: one supervisor process per run. */
#define CMDB_TYPE_LOCAL_EXECUTOR (cmdb_local_executor_get_type ())
G_DECLARE_FINAL_TYPE (CmdbLocalExecutor, cmdb_local_executor, CMDB, LOCAL_EXECUTOR, GObject)

CmdbExecutor *cmdb_local_executor_new (void);
void cmdb_local_executor_set_program (CmdbLocalExecutor *self, const char *program);
const char *cmdb_local_executor_get_program (CmdbLocalExecutor *self);

/* The supervisor (`cmdbuilder supervise RUN_DIR`): forks; the calling
 * process returns 0 at once (the first half of the double fork: its parent
 * reaps it) while the child leaves the session, runs the command of the
 * run in @run_directory, records its logs and its end, and returns its
 * exit status when the run is over. @ready_fd (or -1) gets one line,
 * "started", "failed" (the command could not be executed: recorded in the
 * run) or an error message, and is closed once the command started. */
#define cmdb_run_supervise _cmdb_run_supervise
CMDB_PRIVATE_EXPORT
int cmdb_run_supervise (const char *run_directory, int ready_fd);

/* TRUE when @pid is a live (not zombie) process whose command line holds
 * every string of @needles, each as a whole argument or as the last
 * component of a path argument. */
#define cmdb_run_process_matches _cmdb_run_process_matches
CMDB_PRIVATE_EXPORT
gboolean cmdb_run_process_matches (GPid pid, const char *const *needles);

/* ---- leftovers of a run whose supervisor died (cmdb-run-leftovers.c) ---- */

/* The supervisor puts NAME=<run id> in the command's environment; every
 * descendant inherits it. */
#define CMDB_RUN_ENV_MARKER "CMDBUILDER_RUN"
/* (transfer full) (element-type int): the live processes of this user
 * carrying the marker of @run_id. */
#define cmdb_run_find_leftovers _cmdb_run_find_leftovers
CMDB_PRIVATE_EXPORT
GArray *cmdb_run_find_leftovers (const char *run_id);
/* TRUE when @pid is live and carries the marker of @run_id. */
gboolean cmdb_run_process_is_leftover (GPid pid, const char *run_id);
/* SIGTERM to each leftover of @run_id, SIGKILL to what remains after
 * @grace_ms; each is checked to carry the marker right before it is
 * signalled (never a reused PID). Returns how many there were. */
guint cmdb_run_end_leftovers (const char *run_id, gint64 grace_ms);

/* ---- queued runs: sweep members waiting for their queue (cmdb-run-queue.c) ---- */

/* Moves the queued run in @directory to @status (starting: its queue starts
 * it now, "dequeued_at" set; stopped: cancelled before it started, with
 * @message and "ended_at"), under an exclusive lock of the run directory,
 * so the queue starting it and a user cancelling it never both win.
 * Returns (transfer full) the record as written, or NULL with
 * CMDB_RUN_ERROR_NOT_RUNNING when the run is no longer queued (someone
 * else moved it first). */
#define cmdb_run_dequeue _cmdb_run_dequeue
CMDB_PRIVATE_EXPORT
CmdbRun *cmdb_run_dequeue (const char *directory, CmdbRunStatus status, const char *message,
                           GError **error);

/* ---- deleting runs (cmdb-run-prune.c) ---- */

/* TRUE when @run can be deleted: it has ended (stopped, succeeded, failed),
 * or is lost with no process left carrying its marker. FALSE with @error
 * saying why not. */
#define cmdb_run_is_deletable _cmdb_run_is_deletable
CMDB_PRIVATE_EXPORT
gboolean cmdb_run_is_deletable (CmdbRun *run, GError **error);
/* Removes @run's directory (record and logs) when it is deletable. */
#define cmdb_run_delete _cmdb_run_delete
CMDB_PRIVATE_EXPORT
gboolean cmdb_run_delete (CmdbRun *run, GError **error);
/* TRUE when `runs prune` takes @run: deletable, of @status (nullable: any)
 * and ended (else created) at least @older_than_us before @now_us
 * (<= 0: any age). */
#define cmdb_run_is_prunable _cmdb_run_is_prunable
CMDB_PRIVATE_EXPORT
gboolean cmdb_run_is_prunable (CmdbRun *run, gint64 older_than_us, gint64 now_us,
                               const char *status);

/* ---- the ended runs kept in memory (cmdb-run-watch.c) ---- */

/* The runs directory's entries and its ended runs, trusted while nothing
 * changed: the directory by one stat() per check, each ended run's
 * directory by a GFileMonitor (events arrive through the thread-default
 * main context of the caller of cmdb_run_watch_add_ended()). */
typedef struct _CmdbRunWatch CmdbRunWatch;
/* Sorts an array of CmdbRun in listing order. */
typedef void (*CmdbRunWatchSort) (GPtrArray *runs);
CmdbRunWatch *cmdb_run_watch_new (const char *directory, CmdbRunWatchSort sort);
void cmdb_run_watch_free (CmdbRunWatch *self);
/* (transfer none) (element-type utf8): the names in the runs directory,
 * read again only when the directory changed; empty when it does not
 * exist. NULL with @error when it cannot be read. */
GPtrArray *cmdb_run_watch_get_names (CmdbRunWatch *self, GError **error);
/* (transfer none) (nullable): the ended run kept for entry @name. */
CmdbRun *cmdb_run_watch_lookup (CmdbRunWatch *self, const char *name);
/* Keeps @run (ended; a reference is taken) for entry @name until its
 * directory changes or disappears. */
void cmdb_run_watch_add_ended (CmdbRunWatch *self, const char *name, CmdbRun *run);
/* (transfer none) (element-type CmdbRun): the kept ended runs, sorted. */
GPtrArray *cmdb_run_watch_get_ended (CmdbRunWatch *self);
/* Records how many entries of the last listing had not ended (they are
 * read again by every listing, so every check reports a change). */
void cmdb_run_watch_set_unfinished (CmdbRunWatch *self, guint n_unfinished);
/* TRUE when a listing now could differ from the one made when @stamp was
 * last set (0: never); updates @stamp. */
gboolean cmdb_run_watch_changed_since (CmdbRunWatch *self, guint64 *stamp);

/* Lists through a CmdbRunWatch (ended runs kept in memory, watched by
 * file monitors on the calling thread's main context) and makes
 * cmdb_run_store_changed_since() meaningful. For a long-lived owner with a
 * main loop (the server). */
#define cmdb_run_store_keep_history _cmdb_run_store_keep_history
CMDB_PRIVATE_EXPORT
void cmdb_run_store_keep_history (CmdbRunStore *self);
/* TRUE when cmdb_run_store_list() could answer differently than when
 * @stamp (0 at first) was last set, and updates it; always TRUE without
 * cmdb_run_store_keep_history(). One stat() when nothing changed. */
#define cmdb_run_store_changed_since _cmdb_run_store_changed_since
CMDB_PRIVATE_EXPORT
gboolean cmdb_run_store_changed_since (CmdbRunStore *self, guint64 *stamp);

G_END_DECLS
