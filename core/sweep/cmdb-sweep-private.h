/* cmdb-sweep-private.h: sweep values and their cartesian product
 * (docs/sweeps.md, "Sweeps").
 *
 * A sweep field is written as Hydra writes a multirun override, and read by
 * our Hydra parser: `KEY=a,b,c`, `KEY=choice(a,b)` or
 * `KEY=range(start,stop,step)`. KEY is a form key (not an override path):
 * each value goes through the form like a `--set`. Several sweep fields
 * form their cartesian product, the first field varying slowest, capped by
 * a limit ([sweep] limit, default 100) against accidents.
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

#define CMDB_SWEEP_ERROR (cmdb_sweep_error_quark ())
GQuark cmdb_sweep_error_quark (void);

typedef enum
{
  CMDB_SWEEP_ERROR_PARSE, /* not KEY=VALUES, or values that cannot be listed */
  CMDB_SWEEP_ERROR_LIMIT, /* more members than the limit */
} CmdbSweepError;

/* The default of [sweep] limit. */
#define CMDB_SWEEP_DEFAULT_LIMIT 100

/* One sweep field: a form key and the values it takes, in order. */
typedef struct
{
  char *key;
  GPtrArray *values; /* (element-type JsonNode) */
} CmdbSweepAxis;

/* (transfer full): the field @spec ("KEY=a,b,c", "KEY=range(1,4)") names,
 * or NULL with CMDB_SWEEP_ERROR_PARSE naming @spec (and, from the Hydra
 * parser, the column). A single value is a field of one value. */
#define cmdb_sweep_axis_parse _cmdb_sweep_axis_parse
CMDB_PRIVATE_EXPORT
CmdbSweepAxis *cmdb_sweep_axis_parse (const char *spec, GError **error);
#define cmdb_sweep_axis_free _cmdb_sweep_axis_free
CMDB_PRIVATE_EXPORT
void cmdb_sweep_axis_free (CmdbSweepAxis *axis);
/* (transfer full): a value as a `--set` takes it (cmdb_format_scalar). */
#define cmdb_sweep_value_text _cmdb_sweep_value_text
CMDB_PRIVATE_EXPORT
char *cmdb_sweep_value_text (JsonNode *value);

/* The number of members of @axes (element-type CmdbSweepAxis), saturating
 * at G_MAXUINT64. */
guint64 cmdb_sweep_count (GPtrArray *axes);
/* (transfer full) (element-type JsonObject): each member's values, key ->
 * value, the first axis varying slowest; NULL with CMDB_SWEEP_ERROR_LIMIT
 * when there are more than @limit. A key given twice is a parse error. */
#define cmdb_sweep_expand _cmdb_sweep_expand
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_sweep_expand (GPtrArray *axes, guint limit, GError **error);
/* [sweep] limit of @config (default CMDB_SWEEP_DEFAULT_LIMIT). */
#define cmdb_sweep_get_limit _cmdb_sweep_get_limit
CMDB_PRIVATE_EXPORT
guint cmdb_sweep_get_limit (CmdbConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbSweepAxis, cmdb_sweep_axis_free)

/* ---- launched sweeps (cmdb-sweep-record.c, cmdb-sweep-queue.c) ----
 *
 * A launched sweep is a record in the state directory,
 * <state>/sweeps/<sweep id>/sweep.json (CMDB_STATE_SWEEP_RECORD), naming its
 * page, executor, the keys that vary and, per member, its values and run id;
 * and one run per member, created at once with status queued and "sweep"
 * (the sweep id) and "sweep_index" in its record. The local queue belongs
 * to a detached sweep supervisor (`cmdbuilder sweep-supervise`), which
 * starts queued members while fewer than "parallel" run. The sweep's status
 * is derived from its members, never stored. docs/sweeps.md.
 */

/* The sweep record's file name inside its directory. */
#define CMDB_SWEEP_RECORD_NAME "sweep.json"

typedef struct _CmdbSweep CmdbSweep;

#define cmdb_sweep_ref _cmdb_sweep_ref
CMDB_PRIVATE_EXPORT
CmdbSweep *cmdb_sweep_ref (CmdbSweep *sweep);
#define cmdb_sweep_unref _cmdb_sweep_unref
CMDB_PRIVATE_EXPORT
void cmdb_sweep_unref (CmdbSweep *sweep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbSweep, cmdb_sweep_unref)

/* (transfer none) accessors of the record. */
#define cmdb_sweep_get_id _cmdb_sweep_get_id
CMDB_PRIVATE_EXPORT
const char *cmdb_sweep_get_id (CmdbSweep *sweep);
#define cmdb_sweep_get_page _cmdb_sweep_get_page
CMDB_PRIVATE_EXPORT
const char *cmdb_sweep_get_page (CmdbSweep *sweep);
#define cmdb_sweep_get_executor _cmdb_sweep_get_executor
CMDB_PRIVATE_EXPORT
const char *cmdb_sweep_get_executor (CmdbSweep *sweep);
#define cmdb_sweep_get_directory _cmdb_sweep_get_directory
CMDB_PRIVATE_EXPORT
const char *cmdb_sweep_get_directory (CmdbSweep *sweep);
/* (transfer none): the whole record. */
#define cmdb_sweep_get_data _cmdb_sweep_get_data
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_sweep_get_data (CmdbSweep *sweep);
#define cmdb_sweep_get_n_members _cmdb_sweep_get_n_members
CMDB_PRIVATE_EXPORT
guint cmdb_sweep_get_n_members (CmdbSweep *sweep);
/* (transfer none): member @index's run id and its varying values. */
#define cmdb_sweep_get_member_run _cmdb_sweep_get_member_run
CMDB_PRIVATE_EXPORT
const char *cmdb_sweep_get_member_run (CmdbSweep *sweep, guint index);
#define cmdb_sweep_get_member_values _cmdb_sweep_get_member_values
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_sweep_get_member_values (CmdbSweep *sweep, guint index);
/* TRUE once a stop of the whole sweep was asked for. */
#define cmdb_sweep_get_stop_requested _cmdb_sweep_get_stop_requested
CMDB_PRIVATE_EXPORT
gboolean cmdb_sweep_get_stop_requested (CmdbSweep *sweep);

/* One member to launch: what its run records. */
typedef struct
{
  JsonObject *values;      /* the varying keys' values (sweep values) */
  JsonObject *form_values; /* the whole form's values (the run's "values") */
  GStrv argv;
  char *command;    /* display form */
  char *experiment; /* (nullable) */
} CmdbSweepMemberSpec;

#define cmdb_sweep_member_spec_free _cmdb_sweep_member_spec_free
CMDB_PRIVATE_EXPORT
void cmdb_sweep_member_spec_free (CmdbSweepMemberSpec *spec);

/* Creates the member runs (status queued) and the record of a new sweep
 * of @page: @keys (element-type utf8) are the varying keys, @specs
 * (element-type CmdbSweepMemberSpec) the members in order; @parallel the
 * local queue's concurrency (>= 1); @executor_options (nullable) is
 * recorded in each run as "<executor>_options"; @rerun_of (nullable) the
 * sweep this one reruns members of. Nothing is started: see
 * cmdb_sweep_launch(). Returns (transfer full) the sweep, or NULL with
 * @error (runs created before the failure are removed). */
#define cmdb_sweep_create _cmdb_sweep_create
CMDB_PRIVATE_EXPORT
CmdbSweep *cmdb_sweep_create (CmdbRunStore *store, const char *page, const char *executor,
                              guint parallel, GPtrArray *keys, GPtrArray *specs,
                              JsonObject *executor_options, const char *rerun_of, GError **error);

/* (transfer full): the sweep @id_or_prefix names (an id, a unique prefix,
 * or "last" for the newest), or NULL with CMDB_RUN_ERROR_NOT_FOUND. */
#define cmdb_sweep_load _cmdb_sweep_load
CMDB_PRIVATE_EXPORT
CmdbSweep *cmdb_sweep_load (CmdbRunStore *store, const char *id_or_prefix, GError **error);
/* (transfer full) (element-type CmdbSweep): every readable sweep, newest
 * first; unreadable or newer records are reported (cmdb_state_report). */
#define cmdb_sweep_list _cmdb_sweep_list
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_sweep_list (CmdbRunStore *store, GError **error);
/* (transfer full) (element-type CmdbRun): @sweep's member runs in order, a
 * NULL element for a member whose run was deleted. */
#define cmdb_sweep_load_members _cmdb_sweep_load_members
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_sweep_load_members (CmdbRunStore *store, CmdbSweep *sweep);
/* (transfer none): the sweep's status from its members' (@members from
 * cmdb_sweep_load_members): running or stopping while any member is
 * starting, running or stopping; queued (or stopping) while any is still
 * queued; then failed (any failed or lost), stopped (any stopped), or
 * succeeded; empty when every member was deleted. */
#define cmdb_sweep_status _cmdb_sweep_status
CMDB_PRIVATE_EXPORT
const char *cmdb_sweep_status (CmdbSweep *sweep, GPtrArray *members);
/* TRUE when the sweep's status is final (nothing will change any more). */
#define cmdb_sweep_status_is_final _cmdb_sweep_status_is_final
CMDB_PRIVATE_EXPORT
gboolean cmdb_sweep_status_is_final (const char *status);
/* (transfer full): the sweep as `sweeps --json` lists it: id, page,
 * executor, created_at, count, status, counts (per member status),
 * parallel, keys, rerun_of, supervisor_alive; with @members (nullable)
 * also "members": [{index, run, values, status, exit_code, started_at,
 * ended_at, duration_s}]. */
#define cmdb_sweep_to_json _cmdb_sweep_to_json
CMDB_PRIVATE_EXPORT
JsonNode *cmdb_sweep_to_json (CmdbSweep *sweep, GPtrArray *members, gboolean with_members);

/* Starts the sweep: local, a detached sweep supervisor takes its queue
 * (returns once it is spawned; the members are queued). */
#define cmdb_sweep_launch _cmdb_sweep_launch
CMDB_PRIVATE_EXPORT
gboolean cmdb_sweep_launch (CmdbRunStore *store, CmdbSweep *sweep, GError **error);
/* TRUE while a sweep supervisor holds @sweep's queue. */
#define cmdb_sweep_supervisor_alive _cmdb_sweep_supervisor_alive
CMDB_PRIVATE_EXPORT
gboolean cmdb_sweep_supervisor_alive (CmdbSweep *sweep);
/* Stops the whole sweep: records the request (the queue starts nothing
 * more), cancels the queued members and, with @stop_running, stops the
 * unfinished ones (synchronously: the server passes FALSE and stops them
 * with cmdb_run_store_stop_async()). */
#define cmdb_sweep_stop _cmdb_sweep_stop
CMDB_PRIVATE_EXPORT
gboolean cmdb_sweep_stop (CmdbRunStore *store, CmdbSweep *sweep, gboolean stop_running,
                          GError **error);
/* Recovery: spawns a sweep supervisor for every local sweep that still
 * has queued members and none holding its queue (it was killed, the
 * machine rebooted). Returns how many it spawned. Cheap when nothing
 * waits: called by `serve` (then periodically) and by the commands that
 * list sweeps. */
#define cmdb_sweep_recover _cmdb_sweep_recover
CMDB_PRIVATE_EXPORT
guint cmdb_sweep_recover (CmdbRunStore *store);
/* Starts a new sweep of @sweep's members that failed, were lost or were
 * stopped: their exact commands (relocated when the workspace moved),
 * "rerun_of" naming @sweep, @parallel (0: @sweep's). Returns (transfer
 * full) the launched sweep, or NULL with CMDB_RUN_ERROR_NOT_FOUND when
 * there is none, or another error. */
#define cmdb_sweep_rerun_failed _cmdb_sweep_rerun_failed
CMDB_PRIVATE_EXPORT
CmdbSweep *cmdb_sweep_rerun_failed (CmdbRunStore *store, CmdbSweep *sweep, guint parallel,
                                    GError **error);
/* Deletes a sweep that has ended: its members' runs (none may be
 * unfinished) and its record. */
#define cmdb_sweep_delete _cmdb_sweep_delete
CMDB_PRIVATE_EXPORT
gboolean cmdb_sweep_delete (CmdbRunStore *store, CmdbSweep *sweep, GError **error);
/* The sweep supervisor's body (`cmdbuilder sweep-supervise SWEEP_DIR`):
 * takes the queue of the sweep in @sweep_directory (returns 0 at once when
 * another supervisor holds it), starts queued members while fewer than
 * "parallel" are unfinished, stops everything on SIGTERM or a recorded
 * stop request, and returns once no member is queued. */
#define cmdb_sweep_supervise _cmdb_sweep_supervise
CMDB_PRIVATE_EXPORT
int cmdb_sweep_supervise (CmdbRunStore *store, const char *sweep_directory);
/* ---- comparing results (cmdb-sweep-report.c) ---- */

/* (transfer full) (element-type utf8): [metrics] names, or the defaults
 * that fit the demo runners (val_hmean, hmean, train_loss). */
#define cmdb_sweep_metric_names _cmdb_sweep_metric_names
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_sweep_metric_names (CmdbConfig *config);
/* (transfer full): name -> number, each the last `NAME=NUMBER` (or
 * `NAME: NUMBER`) in @run's stdout.log; names not found are absent. */
#define cmdb_sweep_read_metrics _cmdb_sweep_read_metrics
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_sweep_read_metrics (CmdbRun *run, GPtrArray *names);
/* (transfer full): cmdb_sweep_to_json() with members, each with "metrics"
 * and "best", plus "metric_names" and "best": {metric, goal, index, run,
 * value} ([metrics] best and goal). What `sweep --json` prints and
 * GET /api/sweeps/<id> answers. */
#define cmdb_sweep_report _cmdb_sweep_report
CMDB_PRIVATE_EXPORT
JsonNode *cmdb_sweep_report (CmdbRunStore *store, CmdbSweep *sweep);
/* (transfer full): @report (cmdb_sweep_report) as CSV, CRLF lines: run,
 * one column per varying key (named by the key), status, exit, one per
 * metric (named by the metric; numbers, empty when absent). */
#define cmdb_sweep_report_to_csv _cmdb_sweep_report_to_csv
CMDB_PRIVATE_EXPORT
char *cmdb_sweep_report_to_csv (JsonNode *report);

/* Internal to the sweep area: the record's updates, each a read-modify-
 * write under record.lock. */
typedef void (*CmdbSweepChange) (JsonObject *data, gpointer user_data);
gboolean cmdb_sweep_update (CmdbSweep *sweep, CmdbSweepChange change, gpointer user_data,
                            GError **error);
gboolean cmdb_sweep_request_stop (CmdbSweep *sweep, GError **error);
/* (transfer full): the sweep whose directory is @directory. */
CmdbSweep *cmdb_sweep_load_directory (const char *directory, GError **error);
gboolean cmdb_sweep_record_supervisor (CmdbSweep *sweep, GPid pid, GError **error);
/* (transfer full): @sweep read again from its directory. */
CmdbSweep *cmdb_sweep_reload (CmdbSweep *sweep, GError **error);

/* [sweep] parallel of @config (default 1). */
#define cmdb_sweep_get_default_parallel _cmdb_sweep_get_default_parallel
CMDB_PRIVATE_EXPORT
guint cmdb_sweep_get_default_parallel (CmdbConfig *config);

G_END_DECLS
