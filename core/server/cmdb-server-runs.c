#define G_LOG_DOMAIN "cmdb-server"

/* The runs of the web UI: the JSON API under /api/runs, page actions under
 * /api/pages/<id>/actions, and one Server-Sent Events stream per tab on
 * /api/events that multiplexes the output of the runs the tab watches.
 *
 * Runs live in files (docs/runs.md), so the server keeps no run state of
 * its own: every answer reads the run store, and a run started by the CLI
 * in the same workspace is seen like one started here. Event streams read
 * the logs from disk with CmdbLogReader at the offset the client reached,
 * so a reconnect loses no byte, and every buffer has a hard cap: one read
 * buffer for the whole server, one partial line per watched stream, and a
 * bound on what may wait unsent on one connection. */

#include "cmdb-server-private.h"
#include "cmdb-server-deferred-private.h"
#include "run/cmdb-run-private.h"
#include "session/cmdb-page-session-private.h"
#include "state/cmdb-state-private.h"

#include <string.h>

/* How often executors that must ask something to know their runs' states
 * (Slurm) are asked, in the background: answers come from memory. */
#define UPDATE_INTERVAL_MS 1000
/* How long an executor form's options_command may take. */
#define FORM_COMMAND_TIMEOUT_MS 5000
/* How often open event streams look for new output and status changes. */
#define POLL_INTERVAL_MS 100
/* Every tenth poll: the runs lists, which read every run's record. */
#define LIST_EVERY_POLLS 10
/* A comment line keeps idle connections from being closed by proxies. */
#define KEEPALIVE_US (15 * G_USEC_PER_SEC)
/* One read; lines made from it go out in one event. */
#define READ_CHUNK_BYTES (16 * 1024)
/* Reads per stream and poll: bounds the work one poll does for one run. */
#define READS_PER_POLL 16
/* Bytes appended to a connection but not yet written: beyond this, a
 * stream reads no more until the client caught up (a slow client costs
 * memory only up to here). */
#define MAX_PENDING_BYTES (1024 * 1024)
/* Longer lines are split (CmdbLogView). */
#define MAX_LINE_BYTES (8 * 1024)
#define MAX_WATCHED_RUNS 16
#define MAX_EVENT_STREAMS 64
#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 500

typedef struct
{
  CmdbRunStream which;
  CmdbLogReader *reader; /* at the next byte to read */
  CmdbLogView *view;
  guint64 resume;    /* where a reconnect starts: after the last line end */
  gboolean after_cr; /* the last byte read was '\r' */
  gboolean drained;  /* read to the final size of an ended run */
} Follower;

typedef struct
{
  char *id;
  CmdbRun *run; /* (nullable) the record as last read */
  char *status; /* the status last sent */
  Follower streams[2];
  gboolean ended; /* "end" was sent */
} Watch;

typedef struct
{
  CmdbServerRuns *owner;
  SoupServerMessage *msg;
  GPtrArray *watches; /* (element-type Watch) */
  char *list_page;    /* (nullable) runs list events: a page id or "*" */
  char *list_status;  /* (nullable) */
  char *list_signature;
  guint64 pending;
  gint64 last_send;
  gulong wrote_handler;
  gulong finished_handler;
} EventStream;

struct _CmdbServerRuns
{
  CmdbServer *server; /* (transfer none): it owns us */
  CmdbContext *context;
  CmdbHost *host; /* (nullable) executor plugins, listed from their records */
  CmdbRunStore *store;
  GPtrArray *streams; /* (element-type EventStream) */
  guint poll_source;
  guint polls;
  guint8 *buffer;      /* READ_CHUNK_BYTES, shared by every stream */
  GPtrArray *deferred; /* (element-type CmdbServerDeferred) requests answered later */
  guint update_source;
  struct _UpdateCall *update; /* (nullable) the background update under way */
};

/* ---- small helpers ---- */

static JsonNode *
object_node (JsonObject *object) /* transfer full */
{
  JsonNode *node = json_node_alloc ();

  json_node_init_object (node, object);
  json_object_unref (object);
  return node;
}

static gboolean
is_valid_run_id (const char *id)
{
  if (id == NULL || id[0] == '\0' || strlen (id) > 200)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static guint
run_error_status (const GError *error)
{
  if (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND))
    return SOUP_STATUS_NOT_FOUND;
  if (g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_RUNNING))
    return SOUP_STATUS_CONFLICT;
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static const char *
query_get (GHashTable *query, const char *name)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL && value[0] != '\0' ? value : NULL;
}

static const char *
member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The text a run executed: the user's edit when there was one. */
static const char *
run_command_text (CmdbRun *run)
{
  return cmdb_run_get_edited (run) && cmdb_run_get_edited_command (run) != NULL
             ? cmdb_run_get_edited_command (run)
             : cmdb_run_get_command (run);
}

static JsonObject *
run_values (CmdbRun *run)
{
  JsonNode *node = json_object_get_member (cmdb_run_get_data (run), "values");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* ---- the runs API ---- */

/* The words of @page's defaults command, as a set (cached in @defaults
 * for one listing). */
static GHashTable *
default_words (CmdbServerRuns *self, GHashTable *defaults, const char *page)
{
  GHashTable *words = g_hash_table_lookup (defaults, page);

  if (words == NULL)
    {
      g_autofree char *display = cmdb_server_get_defaults_command (self->server, page);
      g_autoptr (GPtrArray) argv = display != NULL ? cmdb_command_split_text (display, NULL) : NULL;

      words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; argv != NULL && i < argv->len; i++)
        g_hash_table_add (words, g_strdup (g_ptr_array_index (argv, i)));
      g_hash_table_insert (defaults, g_strdup (page), words);
    }
  return words;
}

/* "differs": the run's overrides its page's defaults do not have (what
 * the user changed), for the runs table. */
static void
add_differs (CmdbServerRuns *self, JsonObject *run, GHashTable *defaults)
{
  const char *page = json_object_get_string_member_with_default (run, "page", NULL);
  JsonNode *argv_node = json_object_get_member (run, "argv");
  JsonArray *argv;
  JsonArray *differs;
  GHashTable *words;

  if (page == NULL || !cmdb_server_has_page (self->server, page) || argv_node == NULL
      || !JSON_NODE_HOLDS_ARRAY (argv_node))
    return;
  words = default_words (self, defaults, page);
  if (g_hash_table_size (words) == 0)
    return;
  argv = json_node_get_array (argv_node);
  differs = json_array_new ();
  /* The launcher and runner (absolute paths) are not overrides. */
  for (guint i = 0; i < json_array_get_length (argv); i++)
    {
      const char *word = json_array_get_string_element (argv, i);

      if (word != NULL && strchr (word, '=') != NULL && !g_hash_table_contains (words, word))
        json_array_add_string_element (differs, word);
    }
  json_object_set_array_member (run, "differs", differs);
}

static JsonArray *
list_runs (CmdbServerRuns *self, const char *page, const char *status, guint limit,
           guint *ret_total, GError **error)
{
  g_autoptr (GPtrArray) runs = cmdb_run_store_list (self->store, page, status, error);
  /* page id -> the words of its defaults command (GHashTable of them) */
  g_autoptr (GHashTable) defaults = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                           (GDestroyNotify) g_hash_table_unref);
  JsonArray *array;

  if (runs == NULL)
    return NULL;
  array = json_array_new ();
  for (guint i = 0; i < runs->len && i < limit; i++)
    {
      JsonNode *node = cmdb_run_to_json (g_ptr_array_index (runs, i));

      add_differs (self, json_node_get_object (node), defaults);
      json_array_add_element (array, node);
    }
  *ret_total = runs->len;
  return array;
}

/* GET /api/runs?page=&status=&limit= */
static void
api_runs_list (CmdbServerRuns *self, SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr (GError) error = NULL;
  const char *page = query_get (query, "page");
  const char *status = query_get (query, "status");
  const char *limit_text = query_get (query, "limit");
  guint64 limit = LIST_DEFAULT_LIMIT;
  guint total = 0;
  g_autoptr (JsonArray) runs = NULL;
  g_autofree char *html = NULL;
  JsonObject *answer;
  g_autoptr (JsonNode) node = NULL;
  CmdbRunStatus ignored;

  if (status != NULL && !cmdb_run_status_from_string (status, &ignored))
    {
      g_autofree char *message = g_strdup_printf ("no run status %s", status);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, message);
      return;
    }
  if (limit_text != NULL
      && !g_ascii_string_to_unsigned (limit_text, 10, 1, LIST_MAX_LIMIT, &limit, NULL))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "limit must be a number from 1 to 500");
      return;
    }
  runs = list_runs (self, page, status, (guint) limit, &total, &error);
  if (runs == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  html = cmdb_html_render_run_list (runs, page == NULL);
  answer = json_object_new ();
  json_object_set_int_member (answer, "total", total);
  json_object_set_string_member (answer, "html", html);
  json_object_set_array_member (answer, "runs", json_array_ref (runs));
  node = object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

static void
respond_run (SoupServerMessage *msg, guint status, CmdbRun *run)
{
  g_autoptr (JsonNode) node = cmdb_run_to_json (run);

  cmdb_server_respond_json (msg, status, node);
}

/* Records @run as the last run of its page, so the panel shows it after a
 * page switch or a restart. */
static void
remember_last_run (CmdbServerRuns *self, CmdbRun *run)
{
  const char *page = cmdb_run_get_page (run);
  CmdbPageStore *store;
  JsonObject *record;

  if (page == NULL || !cmdb_server_has_page (self->server, page))
    return;
  store = cmdb_server_get_page_store (self->server, page);
  record = json_object_new ();
  json_object_set_string_member (record, "id", cmdb_run_get_id (run));
  g_clear_pointer (&store->last_run, json_node_unref);
  store->last_run = object_node (record);
  cmdb_server_save_page_store (self->server, store);
}

/* What POST /api/runs asked for besides the command: the executor (NULL:
 * [run] executor) and its options, recorded in the run as
 * "<executor>_options" (how the CLI records --slurm; the executor reads
 * and checks them when it starts the run). */
typedef struct
{
  const char *executor;
  JsonObject *options; /* (nullable) */
  gboolean force;      /* run even when Hydra would not compose the command */
} RunRequest;

/* The composition check before a page's run (and a rerun, which may go to
 * Slurm): FALSE with CMDB_SERVER_ERROR_NOT_COMPOSING when Hydra would not
 * compose what would run (@edited when set, else @argv) and the request
 * is not forced. */
static gboolean
check_run_composes (CmdbServerRuns *self, const char *page, const char *const *argv,
                    const char *edited, const RunRequest *request, GError **error)
{
  g_autoptr (CmdbPageSession) session = NULL;
  g_autoptr (GPtrArray) words = NULL;
  g_autoptr (CmdbComposeResult) compose = NULL;
  g_autofree char *first_line = NULL;
  const char *message;

  if (request->force || page == NULL || self->host == NULL)
    return TRUE;
  session = cmdb_page_session_open (self->host, self->context, page, NULL);
  if (session == NULL)
    return TRUE; /* no such page (exec --page): nothing to compose against */
  if (edited != NULL)
    words = cmdb_command_split_text (edited, NULL);
  else
    {
      words = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; argv[i] != NULL; i++)
        g_ptr_array_add (words, g_strdup (argv[i]));
    }
  if (words == NULL)
    return TRUE; /* the run reports a text that does not split */
  compose = cmdb_page_session_compose_argv (session, words);
  if (compose == NULL || cmdb_compose_result_get_ok (compose))
    return TRUE;
  message = cmdb_compose_result_get_message (compose);
  first_line = g_strndup (message, strcspn (message, "\n"));
  g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_NOT_COMPOSING,
               "Hydra would not compose this command: %s%s%s; send {\"force\": true} to run it "
               "anyway",
               cmdb_compose_result_get_override (compose) != NULL
                   ? cmdb_compose_result_get_override (compose)
                   : "",
               cmdb_compose_result_get_override (compose) != NULL ? ": " : "", first_line);
  return FALSE;
}

/* Records a new run (status starting); api_runs_start() starts it. */
static CmdbRun *
create_run (CmdbServerRuns *self, const char *page, const char *const *argv, const char *command,
            const char *edited, JsonObject *values, const char *experiment,
            const RunRequest *request, GError **error)
{
  g_autoptr (CmdbRun) created = NULL;

  if (!check_run_composes (self, page, argv, edited, request, error))
    return NULL;
  created = cmdb_run_store_create (self->store, page, argv, command, edited, values,
                                   request->executor, error);
  if (created == NULL)
    return NULL;
  /* The page's experiment name, for `cmdbuilder runs` (as the CLI records it). */
  if (experiment != NULL)
    {
      json_object_set_string_member (cmdb_run_get_data (created), "experiment", experiment);
      if (!cmdb_run_save (created, error))
        return NULL;
    }
  if (request->options != NULL && json_object_get_size (request->options) > 0)
    {
      g_autofree char *key = g_strdup_printf ("%s_options", cmdb_run_get_executor (created));

      json_object_set_object_member (cmdb_run_get_data (created), key,
                                     json_object_ref (request->options));
      if (!cmdb_run_save (created, error))
        return NULL;
    }
  return g_steal_pointer (&created);
}

/* A run of the page's current state: its command, or the user's edited
 * text when it differs (recorded as edited). */
static CmdbRun *
start_page_run (CmdbServerRuns *self, const char *page_id, const char *edited_override,
                const RunRequest *request, guint *ret_status, GError **error)
{
  g_autoptr (JsonObject) values = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autofree char *experiment = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self->server, page_id);
  const char *edited = edited_override != NULL ? edited_override : store->edited;

  command = cmdb_server_build_page_command (self->server, page_id, &values, &experiment, error);
  if (command == NULL)
    {
      *ret_status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      return NULL;
    }
  /* The text as shown, unchanged, is the form's command, not an edit. */
  if (edited != NULL && g_str_equal (edited, command->display))
    edited = NULL;
  /* An edited text runs as typed; the form's command only without errors. */
  if (edited == NULL && command->errors->len > 0)
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED, "the form has errors: %s",
                   (const char *) g_ptr_array_index (command->errors, 0));
      *ret_status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
      return NULL;
    }
  argv = g_ptr_array_new ();
  for (guint i = 0; i < command->argv->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (command->argv, i));
  g_ptr_array_add (argv, NULL);
  *ret_status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
  return create_run (self, page_id, (const char *const *) argv->pdata, command->display, edited,
                     values, experiment, request, error);
}

/* "values": the form goes back to the run's values (so the page shows
 * what ran) and runs from there; "argv": exactly what was executed. */
static CmdbRun *
start_rerun (CmdbServerRuns *self, const char *run_id, const char *mode, const RunRequest *request,
             guint *ret_status, GError **error)
{
  g_autoptr (CmdbRun) previous = cmdb_run_store_load (self->store, run_id, error);
  RunRequest inherited;
  const char *page;
  JsonObject *values;

  if (previous == NULL)
    {
      *ret_status = run_error_status (*error);
      return NULL;
    }
  /* A rerun goes where the run went (a Slurm run to Slurm, with its
   * options) unless the request names an executor. */
  inherited = *request;
  if (inherited.executor == NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s_options", cmdb_run_get_executor (previous));
      JsonNode *options = json_object_get_member (cmdb_run_get_data (previous), key);

      inherited.executor = cmdb_run_get_executor (previous);
      if (inherited.options == NULL && options != NULL && JSON_NODE_HOLDS_OBJECT (options))
        inherited.options = json_node_get_object (options);
    }
  request = &inherited;
  page = cmdb_run_get_page (previous);
  values = run_values (previous);
  if (g_strcmp0 (mode, "values") == 0)
    {
      /* `cmdbuilder exec --page` records no form values. */
      if (page == NULL || values == NULL || json_object_get_size (values) == 0
          || !cmdb_server_has_page (self->server, page))
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                       "run %s has no page form values to rerun; rerun its argv instead",
                       cmdb_run_get_id (previous));
          *ret_status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
          return NULL;
        }
      {
        g_autoptr (JsonNode) copy
            = json_node_copy (json_object_get_member (cmdb_run_get_data (previous), "values"));
        JsonObject *recorded = json_node_get_object (copy);

        if (cmdb_run_get_moved_from (previous) != NULL)
          cmdb_state_relocate_values (recorded, cmdb_run_get_moved_from (previous),
                                      cmdb_context_get_root (self->context));
        /* The run's values, set by the user only where they differ from
         * what the form gives without them: the rest keep following their
         * defaults (a later architecture change brings its components). */
        if (!cmdb_server_restore_page_values (self->server, page, recorded, error))
          {
            *ret_status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
            return NULL;
          }
      }
      return start_page_run (self, page, NULL, request, ret_status, error);
    }
  if (mode != NULL && !g_str_equal (mode, "argv"))
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                   "mode must be \"values\" or \"argv\", not \"%s\"", mode);
      *ret_status = SOUP_STATUS_BAD_REQUEST;
      return NULL;
    }
  *ret_status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
  /* The same argv: an edited run passes its text, which splits back into
   * the argv it had, and stays marked edited. In a workspace that moved
   * since, paths under the old place name the current one. */
  {
    g_autofree char *command = cmdb_run_relocate_text (previous, cmdb_run_get_command (previous));
    g_autofree char *edited
        = cmdb_run_get_edited (previous)
              ? cmdb_run_relocate_text (previous, cmdb_run_get_edited_command (previous))
              : NULL;

    /* The same argv, the same experiment. */
    return create_run (self, page, cmdb_run_get_relocated_argv (previous), command, edited, values,
                       json_object_get_string_member_with_default (cmdb_run_get_data (previous),
                                                                   "experiment", NULL),
                       request, error);
  }
}

/* Whether @id is an executor a run may name: local, or an enabled
 * executor plugin (from its record: nothing is loaded here). */
static gboolean
is_known_executor (CmdbServerRuns *self, const char *id)
{
  CmdbPluginRecord *record;

  if (g_str_equal (id, "local"))
    return TRUE;
  record = self->host != NULL ? cmdb_host_lookup (self->host, id) : NULL;
  return record != NULL && record->kind == CMDB_PLUGIN_KIND_EXECUTOR && record->enabled;
}

/* Reads "executor" and "executor_options" of a POST /api/runs body; FALSE
 * with the message of a 400 when they are malformed or name no executor. */
static gboolean
parse_run_request (CmdbServerRuns *self, JsonObject *body, RunRequest *ret_request, GError **error)
{
  JsonNode *executor = json_object_get_member (body, "executor");
  JsonNode *options = json_object_get_member (body, "executor_options");

  ret_request->executor = NULL;
  ret_request->options = NULL;
  ret_request->force = json_object_get_boolean_member_with_default (body, "force", FALSE);
  if (executor != NULL && !JSON_NODE_HOLDS_NULL (executor))
    {
      ret_request->executor = member_string (body, "executor");
      if (ret_request->executor == NULL || !is_known_executor (self, ret_request->executor))
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED, "unknown executor '%s'",
                       ret_request->executor != NULL ? ret_request->executor : "(not a string)");
          return FALSE;
        }
    }
  if (options != NULL && !JSON_NODE_HOLDS_NULL (options))
    {
      if (!JSON_NODE_HOLDS_OBJECT (options))
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                       "executor_options must be an object {KEY: VALUE}");
          return FALSE;
        }
      ret_request->options = json_node_get_object (options);
      /* The local executor has no options: a request that gives some
       * expects them to matter. */
      if (json_object_get_size (ret_request->options) > 0
          && (ret_request->executor == NULL
                  ? g_strcmp0 (cmdb_config_get_string (cmdb_context_get_config (self->context),
                                                       "run", "executor"),
                               "local")
                        == 0
                  : g_str_equal (ret_request->executor, "local")))
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                       "the local executor takes no executor_options");
          return FALSE;
        }
    }
  return TRUE;
}

static void
on_run_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CmdbServerDeferred *deferred = user_data;
  CmdbServerRuns *self = cmdb_server_deferred_get_owner (deferred);
  SoupServerMessage *msg = cmdb_server_deferred_get_message (deferred);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) run = cmdb_run_store_start_finish (CMDB_RUN_STORE (source), result, &error);

  if (self != NULL && run != NULL)
    remember_last_run (self, run);
  if (msg != NULL && run != NULL)
    respond_run (msg, SOUP_STATUS_CREATED, run);
  else if (msg != NULL)
    cmdb_server_respond_json_error (
        msg, GPOINTER_TO_UINT (cmdb_server_deferred_get_data (deferred)), error->message);
  cmdb_server_deferred_finish (deferred);
}

/* POST /api/runs {page, command?} or {rerun: ID, mode: "values"|"argv"},
 * both with executor? and executor_options? */
static void
api_runs_start (CmdbServerRuns *self, SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (CmdbRun) run = NULL;
  const char *page;
  const char *rerun;
  RunRequest run_request;
  guint status = SOUP_STATUS_BAD_REQUEST;

  request = cmdb_server_request_json_object (msg);
  if (request == NULL)
    return;
  if (!parse_run_request (self, request, &run_request, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  page = member_string (request, "page");
  rerun = member_string (request, "rerun");
  if (rerun != NULL)
    run = start_rerun (self, rerun, member_string (request, "mode"), &run_request, &status, &error);
  else if (page != NULL && cmdb_server_has_page (self->server, page))
    run = start_page_run (self, page, member_string (request, "command"), &run_request, &status,
                          &error);
  else
    {
      g_autofree char *message = page != NULL
                                     ? g_strdup_printf ("no page %s", page)
                                     : g_strdup ("expected {\"page\": ID} or {\"rerun\": RUN_ID}");
      cmdb_server_respond_json_error (
          msg, page != NULL ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_BAD_REQUEST, message);
      return;
    }
  if (run == NULL && g_error_matches (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_NOT_COMPOSING))
    {
      JsonObject *answer = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      /* The web UI asks whether to run it anyway ({"force": true}). */
      json_object_set_string_member (answer, "error", error->message);
      json_object_set_boolean_member (answer, "compose_failed", TRUE);
      node = object_node (answer);
      cmdb_server_respond_json (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, node);
      return;
    }
  if (run == NULL)
    {
      cmdb_server_respond_json_error (msg, status, error->message);
      return;
    }
  /* The executor may take a while (a cluster's sbatch): answered when it
   * is done. The start is not cancelled when the client goes away: the
   * run is recorded and goes on. */
  cmdb_run_store_start_async (
      self->store, run, NULL, on_run_started,
      cmdb_server_deferred_new (msg, self, self->deferred, GUINT_TO_POINTER (status), NULL));
}

/* GET /api/runs/diff?a=ID&b=ID: the two commands as executed. */
static void
api_runs_diff (CmdbServerRuns *self, SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr (GError) error = NULL;
  const char *a_id = query_get (query, "a");
  const char *b_id = query_get (query, "b");
  g_autoptr (CmdbRun) a = NULL;
  g_autoptr (CmdbRun) b = NULL;
  JsonObject *answer;
  g_autoptr (JsonNode) node = NULL;

  if (a_id == NULL || b_id == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "expected ?a=RUN&b=RUN");
      return;
    }
  a = cmdb_run_store_load (self->store, a_id, &error);
  if (a != NULL)
    b = cmdb_run_store_load (self->store, b_id, &error);
  if (b == NULL)
    {
      cmdb_server_respond_json_error (msg, run_error_status (error), error->message);
      return;
    }
  answer = json_object_new ();
  json_object_set_string_member (answer, "a", cmdb_run_get_id (a));
  json_object_set_string_member (answer, "b", cmdb_run_get_id (b));
  json_object_set_string_member (answer, "before", run_command_text (a));
  json_object_set_string_member (answer, "after", run_command_text (b));
  json_object_set_boolean_member (answer, "same",
                                  g_str_equal (run_command_text (a), run_command_text (b)));
  {
    g_autofree char *html = cmdb_html_render_diff (run_command_text (a), run_command_text (b));
    json_object_set_string_member (answer, "html", html);
  }
  node = object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* GET /api/runs/<id>/log?stream=stdout|stderr&offset=N: the raw bytes. */
static void
api_runs_log (CmdbServerRuns *self, SoupServerMessage *msg, CmdbRun *run, GHashTable *query)
{
  const char *stream_name = query_get (query, "stream");
  const char *offset_text = query_get (query, "offset");
  CmdbRunStream stream = CMDB_RUN_STREAM_STDOUT;
  guint64 offset = 0;
  g_autofree char *path = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize size = 0;

  if (stream_name != NULL && g_str_equal (stream_name, "stderr"))
    stream = CMDB_RUN_STREAM_STDERR;
  else if (stream_name != NULL && !g_str_equal (stream_name, "stdout"))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "stream must be stdout or stderr");
      return;
    }
  if (offset_text != NULL
      && !g_ascii_string_to_unsigned (offset_text, 10, 0, G_MAXUINT64, &offset, NULL))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "offset must be a number");
      return;
    }
  path = cmdb_run_get_log_path (run, stream);
  /* Mapped, not read: the kernel pages the file in as it is sent. */
  mapped = g_mapped_file_new (path, FALSE, NULL);
  if (mapped != NULL)
    size = g_mapped_file_get_length (mapped);
  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Log-Size", "0");
  {
    g_autofree char *size_text = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
    soup_message_headers_replace (headers, "X-Log-Size", size_text);
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  /* text/plain with nosniff: hostile output is never interpreted. */
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, "", 0);
  if (mapped != NULL && offset < size)
    {
      g_autoptr (GBytes) whole = g_mapped_file_get_bytes (mapped);
      bytes = g_bytes_new_from_bytes (whole, (gsize) offset, size - (gsize) offset);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
    }
}

/* /api/runs/... */
static void
on_run_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CmdbServerDeferred *deferred = user_data;
  CmdbServerRuns *self = cmdb_server_deferred_get_owner (deferred);
  SoupServerMessage *msg = cmdb_server_deferred_get_message (deferred);
  CmdbRun *run = cmdb_server_deferred_get_data (deferred);
  g_autoptr (GError) error = NULL;

  if (!cmdb_run_store_stop_finish (CMDB_RUN_STORE (source), result, &error))
    {
      if (msg != NULL)
        cmdb_server_respond_json_error (msg, run_error_status (error), error->message);
    }
  else if (msg != NULL)
    {
      g_autoptr (CmdbRun) now = cmdb_run_store_load (self->store, cmdb_run_get_id (run), NULL);

      respond_run (msg, SOUP_STATUS_ACCEPTED, now != NULL ? now : run);
    }
  cmdb_server_deferred_finish (deferred);
}

static void
serve_runs (CmdbServerRuns *self, SoupServerMessage *msg, char **parts, guint n, GHashTable *query)
{
  const char *method = soup_server_message_get_method (msg);
  gboolean get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  gboolean post = g_str_equal (method, "POST");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbRun) run = NULL;

  if (n == 1 && get)
    api_runs_list (self, msg, query);
  else if (n == 1 && post)
    api_runs_start (self, msg);
  else if (n == 2 && g_str_equal (parts[1], "diff") && get)
    api_runs_diff (self, msg, query);
  else if (n == 1 || (n == 2 && g_str_equal (parts[1], "diff")))
    cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed here");
  else if (!is_valid_run_id (parts[1]))
    cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "no such run");
  else if ((run = cmdb_run_store_load (self->store, parts[1], &error)) == NULL)
    cmdb_server_respond_json_error (msg, run_error_status (error), error->message);
  else if (n == 2 && get)
    respond_run (msg, SOUP_STATUS_OK, run);
  else if (n == 3 && g_str_equal (parts[2], "log") && get)
    api_runs_log (self, msg, run, query);
  else if (n == 3 && g_str_equal (parts[2], "stop") && post)
    /* Not cancelled when the client goes away: the stop was asked for. */
    cmdb_run_store_stop_async (self->store, cmdb_run_get_id (run), NULL, on_run_stopped,
                               cmdb_server_deferred_new (msg, self, self->deferred,
                                                         cmdb_run_ref (run),
                                                         (GDestroyNotify) cmdb_run_unref));
  else if (n <= 3)
    cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed here");
  else
    cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "no such API");
}

/* ---- page actions ---- */

static void
on_action_done (GObject *source, GAsyncResult *async_result, gpointer user_data)
{
  CmdbServerDeferred *deferred = user_data;
  SoupServerMessage *msg = cmdb_server_deferred_get_message (deferred);
  g_autoptr (GError) error = NULL;
  JsonObject *result = cmdb_page_run_action_finish (CMDB_PAGE (source), async_result, &error);

  if (msg == NULL)
    g_clear_pointer (&result, json_object_unref);
  else if (result == NULL)
    cmdb_server_respond_json_error (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                    error != NULL ? error->message : "the action failed");
  else
    {
      g_autoptr (JsonNode) node = NULL;

      /* A page names the core panel that shows its result (pages return
       * data, the core renders). */
      if (g_strcmp0 (json_object_get_string_member_with_default (result, "panel", NULL),
                     "submission-export")
              == 0
          && !json_object_has_member (result, "html"))
        {
          g_autofree char *html = cmdb_html_render_export_panel (result);
          json_object_set_string_member (result, "html", html);
        }
      node = object_node (result);
      cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
    }
  cmdb_server_deferred_finish (deferred);
}

/* GET /api/pages/<id>/actions, POST /api/pages/<id>/actions/<action> */
static void
serve_actions (CmdbServerRuns *self, SoupServerMessage *msg, const char *page_id,
               const char *action_id)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) actions = NULL;
  CmdbPage *page;
  gboolean known = FALSE;

  if (!cmdb_server_has_page (self->server, page_id))
    {
      g_autofree char *message = g_strdup_printf ("no page %s", page_id);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  page = cmdb_server_activate_page (self->server, page_id, &error);
  if (page == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  actions = cmdb_page_list_actions (page);
  if (action_id == NULL)
    {
      JsonObject *answer = json_object_new ();
      JsonArray *array = json_array_new ();
      g_autoptr (JsonNode) node = NULL;

      if (!g_str_equal (method, "GET"))
        {
          json_array_unref (array);
          json_object_unref (answer);
          cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET here");
          return;
        }
      for (guint i = 0; i < actions->len; i++)
        json_array_add_string_element (array, g_ptr_array_index (actions, i));
      json_object_set_string_member (answer, "page", page_id);
      json_object_set_array_member (answer, "actions", array);
      node = object_node (answer);
      cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
      return;
    }
  for (guint i = 0; i < actions->len; i++)
    known = known || g_str_equal (g_ptr_array_index (actions, i), action_id);
  if (!known)
    {
      g_autofree char *message = g_strdup_printf ("page %s has no action %s", page_id, action_id);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  if (!g_str_equal (method, "POST"))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST here");
      return;
    }
  {
    g_autoptr (JsonObject) params = NULL;
    CmdbServerDeferred *deferred;
    JsonObject *last;

    params = cmdb_server_request_json_object (msg);
    if (params == NULL)
      return;
    /* The page's last run (its exp_name) lets an action pick what it made. */
    last = NULL;
    {
      CmdbPageStore *store = cmdb_server_get_page_store (self->server, page_id);
      g_autoptr (JsonNode) run = cmdb_server_runs_last_run_json (self, store);
      if (run != NULL && !json_object_has_member (params, "last_run"))
        {
          last = json_node_get_object (run);
          json_object_set_object_member (params, "last_run", json_object_ref (last));
        }
    }
    /* An action may wait on a process (Predict's converter): answered
     * when it completes, cancelled when the client goes away. */
    deferred = cmdb_server_deferred_new (msg, self, self->deferred, NULL, NULL);
    cmdb_page_run_action_async (page, self->context, action_id, params,
                                cmdb_server_deferred_get_cancellable (deferred), on_action_done,
                                deferred);
  }
}

/* ---- event streams ---- */

static void
follower_init (Follower *follower, CmdbRun *run, CmdbRunStream which, guint64 offset)
{
  follower->which = which;
  follower->reader = cmdb_log_reader_new (run, which, offset);
  follower->view = cmdb_log_view_new (MAX_LINE_BYTES);
  follower->resume = offset;
}

static void
follower_clear (Follower *follower)
{
  g_clear_pointer (&follower->reader, cmdb_log_reader_free);
  g_clear_pointer (&follower->view, cmdb_log_view_free);
}

static void
watch_free (Watch *watch)
{
  g_free (watch->id);
  g_clear_pointer (&watch->run, cmdb_run_unref);
  g_free (watch->status);
  follower_clear (&watch->streams[0]);
  follower_clear (&watch->streams[1]);
  g_free (watch);
}

static void
event_stream_free (EventStream *stream)
{
  if (stream->msg != NULL)
    {
      g_signal_handler_disconnect (stream->msg, stream->wrote_handler);
      g_signal_handler_disconnect (stream->msg, stream->finished_handler);
      g_clear_object (&stream->msg);
    }
  g_ptr_array_unref (stream->watches);
  g_free (stream->list_page);
  g_free (stream->list_status);
  g_free (stream->list_signature);
  g_free (stream);
}

static void
send_text (EventStream *stream, const char *text, gsize length)
{
  soup_message_body_append (soup_server_message_get_response_body (stream->msg), SOUP_MEMORY_COPY,
                            text, length);
  stream->pending += length;
  stream->last_send = g_get_monotonic_time ();
  soup_server_message_unpause (stream->msg);
}

/* One event; @data is one line of JSON. @id (nullable) is the resume
 * token the browser sends back as Last-Event-ID. */
static void
send_event (EventStream *stream, const char *event, JsonNode *data, const char *id)
{
  g_autofree char *json = json_to_string (data, FALSE);
  GString *text = g_string_new (NULL);

  if (id != NULL)
    g_string_append_printf (text, "id: %s\n", id);
  g_string_append_printf (text, "event: %s\ndata: %s\n\n", event, json);
  send_text (stream, text->str, text->len);
  g_string_free (text, TRUE);
}

/* "RUN:OUT:ERR,RUN:OUT:ERR": every watched stream's resume offset. */
static char *
resume_token (EventStream *stream)
{
  GString *token = g_string_new (NULL);

  for (guint i = 0; i < stream->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (stream->watches, i);

      g_string_append_printf (token, "%s%s:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                              i > 0 ? "," : "", watch->id, watch->streams[0].resume,
                              watch->streams[1].resume);
    }
  return g_string_free (token, FALSE);
}

static JsonObject *
line_object (const char *text)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "text", text);
  json_object_set_string_member (object, "class",
                                 cmdb_shell_line_class_to_string (cmdb_shell_classify_line (text)));
  return object;
}

/* Where a reconnect may start: after a line end, or after a bare '\r'
 * (the view throws the line away there, so nothing before it matters). */
static void
advance_resume (Follower *follower, const guint8 *data, gsize length, guint64 base)
{
  for (gsize i = 0; i < length; i++)
    {
      if (follower->after_cr)
        {
          follower->after_cr = FALSE;
          if (data[i] != '\n')
            follower->resume = base + i;
        }
      if (data[i] == '\n')
        follower->resume = base + i + 1;
      else if (data[i] == '\r')
        follower->after_cr = TRUE;
    }
}

static void
send_output (EventStream *stream, Watch *watch, Follower *follower, GPtrArray *lines)
{
  JsonObject *object = json_object_new ();
  JsonArray *array = json_array_new ();
  g_autofree char *partial = cmdb_log_view_peek_partial (follower->view);
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *id = NULL;

  for (guint i = 0; i < lines->len; i++)
    json_array_add_object_element (array, line_object (g_ptr_array_index (lines, i)));
  json_object_set_string_member (object, "run", watch->id);
  json_object_set_string_member (object, "stream", cmdb_run_stream_to_string (follower->which));
  json_object_set_int_member (object, "offset", (gint64) follower->resume);
  json_object_set_int_member (object, "read",
                              (gint64) cmdb_log_reader_get_offset (follower->reader));
  json_object_set_array_member (object, "lines", array);
  if (partial != NULL)
    json_object_set_object_member (object, "partial", line_object (partial));
  else
    json_object_set_null_member (object, "partial");
  node = object_node (object);
  id = resume_token (stream);
  send_event (stream, "output", node, id);
}

/* Reads what is new in one stream of a run (an I/O error is logged and
 * retried at the next poll); once the run is final and the log read to its
 * final size, the partial line is sent as a line. */
static void
poll_follower (CmdbServerRuns *self, EventStream *stream, Watch *watch, Follower *follower)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  gboolean at_end = FALSE; /* a read found nothing more, this poll */
  guint64 final_size = 0;
  gboolean ended;

  for (guint i = 0; i < READS_PER_POLL && stream->pending < MAX_PENDING_BYTES; i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 base = cmdb_log_reader_get_offset (follower->reader);
      gssize n = cmdb_log_reader_read (follower->reader, self->buffer, READ_CHUNK_BYTES, &error);

      if (n < 0)
        {
          g_warning ("run %s: %s", watch->id, error->message);
          break;
        }
      if (n == 0)
        {
          at_end = TRUE;
          break;
        }
      cmdb_log_view_feed (follower->view, (const char *) self->buffer, (gsize) n, lines);
      advance_resume (follower, self->buffer, (gsize) n, base);
      /* One event per chunk keeps every event (and the lines array)
       * bounded by the chunk size. */
      send_output (stream, watch, follower, lines);
      g_ptr_array_set_size (lines, 0);
    }
  ended = watch->run != NULL && cmdb_run_status_is_final (cmdb_run_get_status (watch->run));
  if (at_end && ended && !follower->drained)
    {
      /* A lost run has no final sizes: what is on disk is all there is. */
      if (!cmdb_run_get_final_log_size (watch->run, follower->which, &final_size)
          || cmdb_log_reader_get_offset (follower->reader) >= final_size)
        {
          follower->drained = TRUE;
          cmdb_log_view_finish (follower->view, lines);
          if (lines->len > 0)
            {
              follower->resume = cmdb_log_reader_get_offset (follower->reader);
              send_output (stream, watch, follower, lines);
            }
        }
    }
}

static void
poll_watch (CmdbServerRuns *self, EventStream *stream, Watch *watch)
{
  g_autoptr (GError) error = NULL;
  CmdbRun *run;
  const char *status;

  if (watch->ended)
    return;
  /* The record first: output read after a final status is complete. */
  run = cmdb_run_store_load (self->store, watch->id, &error);
  if (run == NULL)
    {
      JsonObject *object = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      json_object_set_string_member (object, "run", watch->id);
      json_object_set_string_member (object, "error", error->message);
      node = object_node (object);
      send_event (stream, "gone", node, NULL);
      watch->ended = TRUE;
      return;
    }
  g_clear_pointer (&watch->run, cmdb_run_unref);
  watch->run = run;
  if (watch->streams[0].reader == NULL)
    {
      follower_init (&watch->streams[0], run, CMDB_RUN_STREAM_STDOUT, watch->streams[0].resume);
      follower_init (&watch->streams[1], run, CMDB_RUN_STREAM_STDERR, watch->streams[1].resume);
    }
  status = cmdb_run_status_to_string (cmdb_run_get_status (run));
  if (g_strcmp0 (status, watch->status) != 0)
    {
      g_autoptr (JsonNode) node = cmdb_run_to_json (run);

      g_free (watch->status);
      watch->status = g_strdup (status);
      send_event (stream, "status", node, NULL);
    }
  poll_follower (self, stream, watch, &watch->streams[0]);
  poll_follower (self, stream, watch, &watch->streams[1]);
  if (watch->streams[0].drained && watch->streams[1].drained)
    {
      g_autoptr (JsonNode) node = cmdb_run_to_json (run);
      g_autofree char *id = resume_token (stream);

      watch->ended = TRUE;
      send_event (stream, "end", node, id);
      follower_clear (&watch->streams[0]);
      follower_clear (&watch->streams[1]);
    }
}

static void
poll_list (CmdbServerRuns *self, EventStream *stream)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) runs = NULL;
  GString *signature = g_string_new (NULL);
  guint total = 0;
  const char *page = g_strcmp0 (stream->list_page, "*") == 0 ? NULL : stream->list_page;

  runs = list_runs (self, page, stream->list_status, LIST_DEFAULT_LIMIT, &total, &error);
  if (runs == NULL)
    {
      g_string_free (signature, TRUE);
      return;
    }
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *run = json_array_get_object_element (runs, i);
      g_string_append_printf (signature, "%s:%s;", json_object_get_string_member (run, "id"),
                              json_object_get_string_member (run, "status"));
    }
  if (g_strcmp0 (signature->str, stream->list_signature) != 0)
    {
      JsonObject *object = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      json_object_set_int_member (object, "total", total);
      {
        g_autofree char *html = cmdb_html_render_run_list (runs, page == NULL);
        json_object_set_string_member (object, "html", html);
      }
      json_object_set_array_member (object, "runs", json_array_ref (runs));
      node = object_node (object);
      send_event (stream, "runs", node, NULL);
      g_free (stream->list_signature);
      stream->list_signature = g_string_free (signature, FALSE);
      return;
    }
  g_string_free (signature, TRUE);
}

static void
poll_stream (CmdbServerRuns *self, EventStream *stream, gboolean lists)
{
  for (guint i = 0; i < stream->watches->len; i++)
    poll_watch (self, stream, g_ptr_array_index (stream->watches, i));
  if (lists && stream->list_page != NULL)
    poll_list (self, stream);
  if (g_get_monotonic_time () - stream->last_send > KEEPALIVE_US)
    send_text (stream, ": keepalive\n\n", strlen (": keepalive\n\n"));
}

static gboolean
on_poll (gpointer user_data)
{
  CmdbServerRuns *self = user_data;
  gboolean lists = ++self->polls % LIST_EVERY_POLLS == 0;

  /* Like a request: files changed since are seen (run records in listings
   * come through the cache). */
  cmdb_cache_new_generation (cmdb_context_get_cache (self->context));

  for (guint i = 0; i < self->streams->len; i++)
    poll_stream (self, g_ptr_array_index (self->streams, i), lists);
  if (self->streams->len == 0)
    {
      self->poll_source = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_wrote_body_data (SoupServerMessage *msg, guint chunk_size, gpointer user_data)
{
  EventStream *stream = user_data;

  stream->pending = stream->pending > chunk_size ? stream->pending - chunk_size : 0;
}

static void
on_finished (SoupServerMessage *msg, gpointer user_data)
{
  EventStream *stream = user_data;

  /* The client went away (or the server is closing): forget the stream. */
  g_ptr_array_remove (stream->owner->streams, stream);
}

/* Parses "RUN[:OUT:ERR],..." into @stream's watches (a run already
 * watched gets the offsets). FALSE for a malformed list. */
static gboolean
parse_watch_list (EventStream *stream, const char *text, GError **error)
{
  g_auto (GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;
      Watch *watch = NULL;
      guint64 out = 0, err = 0;

      if (items[i][0] == '\0')
        continue;
      fields = g_strsplit (items[i], ":", -1);
      if (!is_valid_run_id (fields[0])
          || (g_strv_length (fields) != 1 && g_strv_length (fields) != 3)
          || (fields[1] != NULL
              && (!g_ascii_string_to_unsigned (fields[1], 10, 0, G_MAXUINT64, &out, NULL)
                  || !g_ascii_string_to_unsigned (fields[2], 10, 0, G_MAXUINT64, &err, NULL))))
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                       "'%s' is not RUN or RUN:STDOUT_OFFSET:STDERR_OFFSET", items[i]);
          return FALSE;
        }
      for (guint j = 0; j < stream->watches->len && watch == NULL; j++)
        if (g_str_equal (((Watch *) g_ptr_array_index (stream->watches, j))->id, fields[0]))
          watch = g_ptr_array_index (stream->watches, j);
      if (watch == NULL)
        {
          if (stream->watches->len >= MAX_WATCHED_RUNS)
            {
              g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                           "at most %d runs per event stream", MAX_WATCHED_RUNS);
              return FALSE;
            }
          watch = g_new0 (Watch, 1);
          watch->id = g_strdup (fields[0]);
          g_ptr_array_add (stream->watches, watch);
        }
      if (fields[1] != NULL)
        {
          watch->streams[0].resume = out;
          watch->streams[1].resume = err;
        }
    }
  return TRUE;
}

/* GET /api/events?runs=RUN[:OUT:ERR],...&list=PAGE|*&status=S
 * Last-Event-ID (sent by a reconnecting EventSource) wins over the offsets
 * in the address: it is where the client really got to. */
static void
api_events (CmdbServerRuns *self, SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr (GError) error = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char *runs = query_get (query, "runs");
  const char *last_event_id = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Last-Event-ID");
  const char *list_status = query_get (query, "status");
  EventStream *stream;
  CmdbRunStatus ignored;

  if (self->streams->len >= MAX_EVENT_STREAMS)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                      "too many event streams are open");
      return;
    }
  if (list_status != NULL && !cmdb_run_status_from_string (list_status, &ignored))
    {
      g_autofree char *message = g_strdup_printf ("no run status %s", list_status);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, message);
      return;
    }
  stream = g_new0 (EventStream, 1);
  stream->owner = self;
  stream->watches = g_ptr_array_new_with_free_func ((GDestroyNotify) watch_free);
  if ((runs != NULL && !parse_watch_list (stream, runs, &error))
      || (last_event_id != NULL && last_event_id[0] != '\0'
          && !parse_watch_list (stream, last_event_id, &error)))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      event_stream_free (stream);
      return;
    }
  stream->list_page = g_strdup (query_get (query, "list"));
  stream->list_status = g_strdup (list_status);
  stream->msg = g_object_ref (msg);

  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  stream->wrote_handler
      = g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), stream);
  stream->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), stream);
  g_ptr_array_add (self->streams, stream);

  /* The client reconnects after a second if the connection drops. */
  send_text (stream, "retry: 1000\n\n", strlen ("retry: 1000\n\n"));
  poll_stream (self, stream, TRUE);
  if (self->poll_source == 0)
    self->poll_source = g_timeout_add (POLL_INTERVAL_MS, on_poll, self);
}

/* ---- executors ---- */

/* GET /api/executors: {default, executors: [{id, title, loaded}]}: local
 * and the enabled executor plugins, from their .plugin records (X-Kind):
 * listing maps no module. */
static void
api_executors (CmdbServerRuns *self, SoupServerMessage *msg)
{
  JsonObject *answer = json_object_new ();
  JsonArray *executors = json_array_new ();
  JsonObject *local = json_object_new ();
  g_autoptr (JsonNode) node = NULL;
  const char *default_id
      = cmdb_config_get_string (cmdb_context_get_config (self->context), "run", "executor");

  json_object_set_string_member (local, "id", "local");
  json_object_set_string_member (local, "title", "Local");
  json_object_set_boolean_member (local, "loaded", TRUE);
  json_array_add_object_element (executors, local);
  if (self->host != NULL)
    {
      GPtrArray *records = cmdb_host_list_plugins (self->host);

      for (guint i = 0; i < records->len; i++)
        {
          CmdbPluginRecord *record = g_ptr_array_index (records, i);
          JsonObject *executor;
          const char *name;

          if (record->kind != CMDB_PLUGIN_KIND_EXECUTOR || !record->enabled)
            continue;
          name = record->info != NULL ? peas_plugin_info_get_name (record->info) : NULL;
          executor = json_object_new ();
          json_object_set_string_member (executor, "id", record->id);
          json_object_set_string_member (executor, "title", name != NULL ? name : record->id);
          json_object_set_boolean_member (executor, "loaded", record->loaded);
          json_array_add_object_element (executors, executor);
        }
    }
  json_object_set_string_member (answer, "default", default_id != NULL ? default_id : "local");
  json_object_set_array_member (answer, "executors", executors);
  {
    g_autofree char *html = cmdb_html_render_executor_choice (
        executors, json_object_get_string_member (answer, "default"));
    json_object_set_string_member (answer, "html", html);
  }
  node = object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* The choices of an element with `options_command`: one per non-empty
 * line of the command's output, after "" (the cluster's default). NULL
 * when the command cannot run or fails (no Slurm here): the field then
 * takes any text, and the executor checks it when it submits. */
static JsonArray *
command_choices (CmdbToolResult *tool)
{
  g_auto (GStrv) lines = NULL;
  JsonArray *choices;

  if (tool == NULL || cmdb_tool_result_get_status (tool) != 0)
    return NULL;
  choices = json_array_new ();
  lines = g_strsplit (cmdb_tool_result_get_stdout (tool), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);
      JsonObject *choice;

      if (line[0] == '\0')
        continue;
      choice = json_object_new ();
      json_object_set_string_member (choice, "label", line);
      json_object_set_string_member (choice, "value", line);
      json_array_add_object_element (choices, choice);
    }
  return choices;
}

/* An executor form waiting for its options_command answers. */
typedef struct
{
  JsonNode *node; /* the form */
  guint pending;  /* commands not yet answered, + 1 while they are started */
} FormCall;

static void
form_call_free (FormCall *call)
{
  json_node_unref (call->node);
  g_free (call);
}

typedef struct
{
  CmdbServerDeferred *deferred;
  JsonObject *field;
} FieldCall;

static void respond_form (SoupServerMessage *msg, JsonNode *node);

static void
form_call_release (CmdbServerDeferred *deferred)
{
  FormCall *call = cmdb_server_deferred_get_data (deferred);
  SoupServerMessage *msg;

  if (--call->pending > 0)
    return;
  msg = cmdb_server_deferred_get_message (deferred);
  if (msg != NULL)
    respond_form (msg, call->node);
  cmdb_server_deferred_finish (deferred);
}

static void
on_field_choices (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FieldCall *field_call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbToolResult) tool = cmdb_tool_run_finish (result, &error);
  JsonArray *choices = command_choices (tool);

  if (tool == NULL)
    g_debug ("an executor form's options_command failed: %s", error->message);
  if (choices != NULL)
    json_object_set_array_member (field_call->field, "options", choices);
  json_object_unref (field_call->field);
  form_call_release (field_call->deferred);
  g_free (field_call);
}

/* The string of key @key of the YAML mapping @node, or NULL. */
static const char *
yaml_string (const CmdbYamlNode *node, const char *key)
{
  const CmdbYamlNode *value = node != NULL ? cmdb_yaml_node_lookup (node, key) : NULL;

  return value != NULL && cmdb_yaml_node_get_kind (value) == CMDB_YAML_NODE_SCALAR
             ? cmdb_yaml_node_get_scalar (value)
             : NULL;
}

/* GET /api/executors/<id>/form: the executor's option form, evaluated like
 * a page's form ({title, fields, ...}, cmdb_form_state_to_json) plus
 * "executor" and, per field, "option" (the executor_options key). Only now
 * is the plugin loaded. The form comes from the executor
 * (cmdb_executor_load_options_form); an executor without one (local) has no
 * fields. Each element's `config_default` ("group.key") gives its default
 * from the configuration and `options_command` its choices. */
static void
respond_form (SoupServerMessage *msg, JsonNode *node)
{
  g_autofree char *html = cmdb_html_render_executor_form (json_node_get_object (node));

  json_object_set_string_member (json_node_get_object (node), "html", html);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

static void
api_executor_form (CmdbServerRuns *self, SoupServerMessage *msg, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (CmdbSchema) schema = NULL;
  g_autoptr (CmdbFormState) state = NULL;
  CmdbFormInput *input;
  CmdbExecutor *executor;
  CmdbConfig *config = cmdb_context_get_config (self->context);
  CmdbServerDeferred *deferred = NULL;
  JsonObject *answer;
  JsonArray *fields;

  if (!is_known_executor (self, id))
    {
      g_autofree char *message = g_strdup_printf ("unknown executor '%s'", id);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  if (g_str_equal (id, "local"))
    {
      answer = json_object_new ();
      json_object_set_string_member (answer, "executor", id);
      json_object_set_string_member (answer, "title", "Local");
      json_object_set_array_member (answer, "fields", json_array_new ());
      node = object_node (answer);
      respond_form (msg, node);
      return;
    }
  executor = cmdb_run_store_load_executor (self->store, id, &error);
  if (executor == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  schema
      = cmdb_executor_load_options_form (executor, cmdb_context_get_cache (self->context), &error);
  if (schema == NULL && error != NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  if (schema == NULL)
    {
      answer = json_object_new ();
      json_object_set_string_member (answer, "executor", id);
      json_object_set_array_member (answer, "fields", json_array_new ());
      node = object_node (answer);
      respond_form (msg, node);
      return;
    }
  input = cmdb_form_input_new ();
  for (guint i = 0; i < cmdb_schema_get_n_elements (schema); i++)
    {
      const CmdbSchemaElement *element = cmdb_schema_get_element (schema, i);
      const char *config_key = yaml_string (element->node, "config_default");
      const char *dot = config_key != NULL ? strchr (config_key, '.') : NULL;
      g_autofree char *group = NULL;
      const char *text;
      gint64 number;

      if (dot == NULL)
        continue;
      group = g_strndup (config_key, dot - config_key);
      text = cmdb_config_get_string (config, group, dot + 1);
      if (text == NULL || text[0] == '\0')
        continue;
      /* Given as set (the engine keeps only set values over the schema's
       * default), reported as the field's default below. */
      if (element->type == CMDB_ELEMENT_NUMBER_INPUT
          && g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &number, NULL))
        {
          JsonNode *value = json_node_new (JSON_NODE_VALUE);
          json_node_set_int (value, number);
          cmdb_form_input_set (input, element->key, value, TRUE);
        }
      else
        {
          JsonNode *value = json_node_new (JSON_NODE_VALUE);
          json_node_set_string (value, text);
          cmdb_form_input_set (input, element->key, value, TRUE);
        }
    }
  state = cmdb_form_evaluate (schema, self->context, input, CMDB_FORM_FLAGS_NONE);
  cmdb_form_input_free (input);
  node = cmdb_form_state_to_json (state);
  answer = json_node_get_object (node);
  json_object_set_string_member (answer, "executor", id);
  fields = json_object_get_array_member (answer, "fields");
  for (guint i = 0; fields != NULL && i < json_array_get_length (fields); i++)
    {
      JsonObject *field = json_array_get_object_element (fields, i);
      const CmdbSchemaElement *element
          = cmdb_schema_lookup (schema, json_object_get_string_member (field, "key"));
      const char *option = element != NULL ? yaml_string (element->node, "option") : NULL;
      const char *command = element != NULL ? yaml_string (element->node, "options_command") : NULL;
      g_auto (GStrv) argv = NULL;

      if (option != NULL)
        json_object_set_string_member (field, "option", option);
      if (element != NULL && yaml_string (element->node, "config_default") != NULL
          && json_object_get_boolean_member_with_default (field, "user_set", FALSE))
        {
          JsonNode *value = json_object_get_member (field, "value");

          json_object_set_member (field, "default", json_node_copy (value));
          json_object_set_boolean_member (field, "user_set", FALSE);
        }
      /* Asked without waiting; the form is answered once every command
       * answered (or timed out). */
      if (command != NULL && g_shell_parse_argv (command, NULL, &argv, NULL))
        {
          FieldCall *field_call = g_new0 (FieldCall, 1);

          if (deferred == NULL)
            {
              FormCall *call = g_new0 (FormCall, 1);

              call->node = json_node_ref (node);
              call->pending = 1;
              deferred = cmdb_server_deferred_new (msg, self, self->deferred, call,
                                                   (GDestroyNotify) form_call_free);
            }
          ((FormCall *) cmdb_server_deferred_get_data (deferred))->pending++;
          field_call->deferred = deferred;
          field_call->field = json_object_ref (field);
          cmdb_tool_run_async ((const char *const *) argv, NULL, FORM_COMMAND_TIMEOUT_MS,
                               cmdb_server_deferred_get_cancellable (deferred), on_field_choices,
                               field_call);
        }
    }
  if (deferred != NULL)
    form_call_release (deferred);
  else
    respond_form (msg, node);
}

/* ---- background updates ---- */

/* The store's update holds a reference to the store, not to us: a flag
 * reached through it says whether we are still there. */
typedef struct _UpdateCall
{
  CmdbServerRuns *owner; /* NULL once the server stopped */
} UpdateCall;

static void
on_runs_updated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  UpdateCall *call = user_data;
  g_autoptr (GError) error = NULL;

  if (!cmdb_run_store_update_finish (CMDB_RUN_STORE (source), result, &error))
    g_debug ("updating the runs failed: %s", error->message);
  if (call->owner != NULL)
    call->owner->update = NULL;
  g_free (call);
}

static gboolean
on_update_runs (gpointer user_data)
{
  CmdbServerRuns *self = user_data;
  UpdateCall *call;

  if (self->update != NULL)
    return G_SOURCE_CONTINUE;
  call = g_new0 (UpdateCall, 1);
  call->owner = self;
  self->update = call;
  cmdb_run_store_update_async (self->store, NULL, on_runs_updated, call);
  return G_SOURCE_CONTINUE;
}

/* ---- public ---- */

CmdbServerRuns *
cmdb_server_runs_new (CmdbServer *server, CmdbContext *context, CmdbHost *host)
{
  CmdbServerRuns *self = g_new0 (CmdbServerRuns, 1);

  self->server = server;
  self->context = g_object_ref (context);
  self->host = host != NULL ? g_object_ref (host) : NULL;
  self->store = cmdb_run_store_new (context);
  /* Executor plugins (Slurm) load through the host when a run names them. */
  cmdb_run_store_set_host (self->store, host);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) event_stream_free);
  self->buffer = g_malloc (READ_CHUNK_BYTES);
  self->deferred = g_ptr_array_new ();
  /* Listings and loads answer from what executors last found; the server
   * asks them in the background. */
  cmdb_run_store_set_background_updates (self->store, TRUE);
  self->update_source = g_timeout_add (UPDATE_INTERVAL_MS, on_update_runs, self);
  return self;
}

void
cmdb_server_runs_free (CmdbServerRuns *self)
{
  if (self == NULL)
    return;
  if (self->poll_source != 0)
    g_source_remove (self->poll_source);
  if (self->update_source != 0)
    g_source_remove (self->update_source);
  cmdb_server_deferred_cancel_all (self->deferred);
  if (self->update != NULL)
    self->update->owner = NULL;
  g_ptr_array_unref (self->deferred);
  g_ptr_array_unref (self->streams);
  g_clear_object (&self->store);
  g_clear_object (&self->host);
  g_clear_object (&self->context);
  g_free (self->buffer);
  g_free (self);
}

JsonNode *
cmdb_server_runs_last_run_json (CmdbServerRuns *self, CmdbPageStore *store)
{
  g_autoptr (CmdbRun) run = NULL;
  const char *id;

  if (store->last_run == NULL || !JSON_NODE_HOLDS_OBJECT (store->last_run))
    return NULL;
  id = member_string (json_node_get_object (store->last_run), "id");
  if (!is_valid_run_id (id))
    return NULL;
  run = cmdb_run_store_load (self->store, id, NULL);
  return run != NULL ? cmdb_run_to_json (run) : NULL;
}

static void
on_options_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CmdbServerDeferred *deferred = user_data;
  SoupServerMessage *msg = cmdb_server_deferred_get_message (deferred);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) problems
      = cmdb_executor_check_options_finish (CMDB_EXECUTOR (source), result, &error);

  if (msg != NULL && problems == NULL)
    cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
  else if (msg != NULL)
    {
      JsonObject *answer = json_object_new ();
      g_autoptr (JsonNode) node = NULL;

      json_object_set_string_member (answer, "executor", cmdb_server_deferred_get_data (deferred));
      json_object_set_boolean_member (answer, "valid", json_object_get_size (problems) == 0);
      json_object_set_object_member (answer, "problems", json_object_ref (problems));
      node = object_node (answer);
      cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
    }
  cmdb_server_deferred_finish (deferred);
}

/* POST /api/executors/<id>/check {"options": {KEY: VALUE}}: what the
 * executor finds wrong with each value before any run exists, so the form
 * can say it next to the field: {"executor", "valid", "problems": {KEY:
 * text}} (the local executor, which has no options, names every key). */
static void
api_executor_check (CmdbServerRuns *self, SoupServerMessage *msg, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) request = NULL;
  JsonNode *options;
  CmdbExecutor *executor;
  CmdbServerDeferred *deferred;

  request = cmdb_server_request_json_object (msg);
  if (request == NULL)
    return;
  options = json_object_get_member (request, "options");
  if (options == NULL || !JSON_NODE_HOLDS_OBJECT (options))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "options must be an object {KEY: VALUE}");
      return;
    }
  if (!is_known_executor (self, id))
    {
      g_autofree char *message = g_strdup_printf ("unknown executor '%s'", id);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  executor = cmdb_run_store_load_executor (self->store, id, &error);
  if (executor == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  /* The executor may ask the cluster (its partitions): answered later,
   * cancelled when the client goes away (the next pause asks again). */
  deferred = cmdb_server_deferred_new (msg, self, self->deferred, g_strdup (id), g_free);
  cmdb_executor_check_options_async (executor, json_node_get_object (options),
                                     cmdb_server_deferred_get_cancellable (deferred),
                                     on_options_checked, deferred);
}

gboolean
cmdb_server_runs_dispatch (CmdbServerRuns *self, SoupServerMessage *msg, const char *path,
                           GHashTable *query)
{
  g_auto (GStrv) parts = NULL;
  guint n;

  if (!g_str_has_prefix (path, "/api/"))
    return FALSE;
  parts = g_strsplit (path + strlen ("/api/"), "/", -1);
  n = g_strv_length (parts);
  if (n >= 1 && g_str_equal (parts[0], "runs"))
    {
      serve_runs (self, msg, parts, n, query);
      return TRUE;
    }
  if (n == 3 && g_str_equal (parts[0], "executors") && g_str_equal (parts[2], "form"))
    {
      const char *method = soup_server_message_get_method (msg);

      if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
        cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET here");
      else
        api_executor_form (self, msg, parts[1]);
      return TRUE;
    }
  if (n == 3 && g_str_equal (parts[0], "executors") && g_str_equal (parts[2], "check"))
    {
      if (!g_str_equal (soup_server_message_get_method (msg), "POST"))
        cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use POST here");
      else
        api_executor_check (self, msg, parts[1]);
      return TRUE;
    }
  if (n == 1 && g_str_equal (parts[0], "executors"))
    {
      const char *method = soup_server_message_get_method (msg);

      if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
        cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET here");
      else
        api_executors (self, msg);
      return TRUE;
    }
  if (n == 1 && g_str_equal (parts[0], "events"))
    {
      if (!g_str_equal (soup_server_message_get_method (msg), "GET"))
        cmdb_server_respond_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "use GET here");
      else
        api_events (self, msg, query);
      return TRUE;
    }
  if ((n == 3 || n == 4) && g_str_equal (parts[0], "pages") && g_str_equal (parts[2], "actions"))
    {
      serve_actions (self, msg, parts[1], n == 4 ? parts[3] : NULL);
      return TRUE;
    }
  return FALSE;
}
