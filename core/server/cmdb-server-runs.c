#define G_LOG_DOMAIN "cmdb-server"

/* Runs: the JSON API under /api/runs (list, start, compare, one run, its
 * log, stop) and the background refresh of the executors' run states.
 *
 * Runs live in files (docs/runs.md), so the server keeps no run state of
 * its own: every answer reads the run store, and a run started by the CLI
 * in the same workspace is seen like one started here. Starting and
 * stopping wait on executors (_async): the message is paused meanwhile
 * (cmdb-server-deferred.c), so the main loop keeps serving. */

#include "cmdb-server-resource-private.h"
#include "cmdb-server-deferred-private.h"
#include "session/cmdb-page-session-private.h"
#include "state/cmdb-state-private.h"

#include <string.h>

/* How often executors that must ask something to know their runs' states
 * (Slurm) are asked, in the background: answers come from memory. */
#define UPDATE_INTERVAL_MS 1000
#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 500

/* ---- small helpers ---- */

gboolean
cmdb_server_is_valid_run_id (const char *id)
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
default_words (CmdbServer *self, GHashTable *defaults, const char *page)
{
  GHashTable *words = g_hash_table_lookup (defaults, page);

  if (words == NULL)
    {
      g_autofree char *display = cmdb_server_get_defaults_command (self, page);
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
add_differs (CmdbServer *self, JsonObject *run, GHashTable *defaults)
{
  const char *page = json_object_get_string_member_with_default (run, "page", NULL);
  JsonNode *argv_node = json_object_get_member (run, "argv");
  JsonArray *argv;
  JsonArray *differs;
  GHashTable *words;

  if (page == NULL || !cmdb_server_has_page (self, page) || argv_node == NULL
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

JsonArray *
cmdb_server_list_runs (CmdbServer *self, const char *page, const char *status, guint limit,
                       guint *ret_total, GError **error)
{
  g_autoptr (GPtrArray) runs = cmdb_run_store_list (self->run_store, page, status, error);
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
void
cmdb_server_api_runs_list (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
{
  GHashTable *query = request->query;
  g_autoptr (GError) error = NULL;
  const char *page = cmdb_server_query_get (query, "page");
  const char *status = cmdb_server_query_get (query, "status");
  const char *limit_text = cmdb_server_query_get (query, "limit");
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
  runs = cmdb_server_list_runs (self, page, status, (guint) limit, &total, &error);
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
  node = cmdb_server_object_node (answer);
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
remember_last_run (CmdbServer *self, CmdbRun *run)
{
  const char *page = cmdb_run_get_page (run);
  CmdbPageStore *store;
  JsonObject *record;

  if (page == NULL || !cmdb_server_has_page (self, page))
    return;
  store = cmdb_server_get_page_store (self, page);
  record = json_object_new ();
  json_object_set_string_member (record, "id", cmdb_run_get_id (run));
  g_clear_pointer (&store->last_run, json_node_unref);
  store->last_run = cmdb_server_object_node (record);
  cmdb_server_save_page_store (self, store);
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
check_run_composes (CmdbServer *self, const char *page, const char *const *argv, const char *edited,
                    const RunRequest *request, GError **error)
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
create_run (CmdbServer *self, const char *page, const char *const *argv, const char *command,
            const char *edited, JsonObject *values, const char *experiment,
            const RunRequest *request, GError **error)
{
  g_autoptr (CmdbRun) created = NULL;

  if (!check_run_composes (self, page, argv, edited, request, error))
    return NULL;
  created = cmdb_run_store_create (self->run_store, page, argv, command, edited, values,
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
start_page_run (CmdbServer *self, const char *page_id, const char *edited_override,
                const RunRequest *request, guint *ret_status, GError **error)
{
  g_autoptr (JsonObject) values = NULL;
  g_autoptr (CmdbCommand) command = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autofree char *experiment = NULL;
  CmdbPageStore *store = cmdb_server_get_page_store (self, page_id);
  const char *edited = edited_override != NULL ? edited_override : store->edited;

  command = cmdb_server_build_page_command (self, page_id, &values, &experiment, error);
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
start_rerun (CmdbServer *self, const char *run_id, const char *mode, const RunRequest *request,
             guint *ret_status, GError **error)
{
  g_autoptr (CmdbRun) previous = cmdb_run_store_load (self->run_store, run_id, error);
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
          || !cmdb_server_has_page (self, page))
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
        if (!cmdb_server_restore_page_values (self, page, recorded, error))
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

/* Reads "executor" and "executor_options" of a POST /api/runs body; FALSE
 * with the message of a 400 when they are malformed or name no executor. */
static gboolean
parse_run_request (CmdbServer *self, JsonObject *body, RunRequest *ret_request, GError **error)
{
  JsonNode *executor = json_object_get_member (body, "executor");
  JsonNode *options = json_object_get_member (body, "executor_options");

  ret_request->executor = NULL;
  ret_request->options = NULL;
  ret_request->force = json_object_get_boolean_member_with_default (body, "force", FALSE);
  if (executor != NULL && !JSON_NODE_HOLDS_NULL (executor))
    {
      ret_request->executor = cmdb_server_member_string (body, "executor");
      if (ret_request->executor == NULL
          || !cmdb_server_executor_is_known (self, ret_request->executor))
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
  CmdbServer *self = cmdb_server_deferred_get_owner (deferred);
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
void
cmdb_server_api_runs_start (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (CmdbRun) run = NULL;
  const char *page;
  const char *rerun;
  RunRequest run_request;
  guint status = SOUP_STATUS_BAD_REQUEST;

  body = cmdb_server_request_json_object (msg);
  if (body == NULL)
    return;
  if (!parse_run_request (self, body, &run_request, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  page = cmdb_server_member_string (body, "page");
  rerun = cmdb_server_member_string (body, "rerun");
  if (rerun != NULL)
    run = start_rerun (self, rerun, cmdb_server_member_string (body, "mode"), &run_request, &status,
                       &error);
  else if (page != NULL && cmdb_server_has_page (self, page))
    run = start_page_run (self, page, cmdb_server_member_string (body, "command"), &run_request,
                          &status, &error);
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
      node = cmdb_server_object_node (answer);
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
      self->run_store, run, NULL, on_run_started,
      cmdb_server_deferred_new (msg, self, self->deferred, GUINT_TO_POINTER (status), NULL));
}

/* GET /api/runs/diff?a=ID&b=ID: the two commands as executed. */
void
cmdb_server_api_runs_diff (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
{
  GHashTable *query = request->query;
  g_autoptr (GError) error = NULL;
  const char *a_id = cmdb_server_query_get (query, "a");
  const char *b_id = cmdb_server_query_get (query, "b");
  g_autoptr (CmdbRun) a = NULL;
  g_autoptr (CmdbRun) b = NULL;
  JsonObject *answer;
  g_autoptr (JsonNode) node = NULL;

  if (a_id == NULL || b_id == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "expected ?a=RUN&b=RUN");
      return;
    }
  a = cmdb_run_store_load (self->run_store, a_id, &error);
  if (a != NULL)
    b = cmdb_run_store_load (self->run_store, b_id, &error);
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
  node = cmdb_server_object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* (transfer full) (nullable): the run @id names; NULL when there is none
 * (404) or it cannot be read, already answered. */
static CmdbRun *
load_run (CmdbServer *self, SoupServerMessage *msg, const char *id)
{
  g_autoptr (GError) error = NULL;
  CmdbRun *run;

  if (!cmdb_server_is_valid_run_id (id))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, "no such run");
      return NULL;
    }
  run = cmdb_run_store_load (self->run_store, id, &error);
  if (run == NULL)
    cmdb_server_respond_json_error (msg, run_error_status (error), error->message);
  return run;
}

/* GET /api/runs/<id> */
void
cmdb_server_api_run_get (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  g_autoptr (CmdbRun) run = load_run (self, msg, request->params[0]);

  if (run != NULL)
    respond_run (msg, SOUP_STATUS_OK, run);
}

/* DELETE /api/runs/<id>: removes an ended run (record and logs) from the
 * history; 409 while it may still be doing something (docs/runs.md). A
 * sweep member's row in its sweep then says "deleted". */
void
cmdb_server_api_run_delete (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  g_autoptr (CmdbRun) run = load_run (self, msg, request->params[0]);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *answer;

  if (run == NULL)
    return;
  if (!cmdb_run_delete (run, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_CONFLICT, error->message);
      return;
    }
  answer = json_object_new ();
  json_object_set_string_member (answer, "deleted", cmdb_run_get_id (run));
  node = cmdb_server_object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* GET /api/runs/<id>/log?stream=stdout|stderr&offset=N: the raw bytes. */
void
cmdb_server_api_run_log (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  GHashTable *query = request->query;
  g_autoptr (CmdbRun) run = load_run (self, msg, request->params[0]);
  const char *stream_name = cmdb_server_query_get (query, "stream");
  const char *offset_text = cmdb_server_query_get (query, "offset");
  CmdbRunStream stream = CMDB_RUN_STREAM_STDOUT;
  guint64 offset = 0;
  g_autofree char *path = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize size = 0;

  if (run == NULL)
    return;
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
  CmdbServer *self = cmdb_server_deferred_get_owner (deferred);
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
      g_autoptr (CmdbRun) now = cmdb_run_store_load (self->run_store, cmdb_run_get_id (run), NULL);

      respond_run (msg, SOUP_STATUS_ACCEPTED, now != NULL ? now : run);
    }
  cmdb_server_deferred_finish (deferred);
}

/* POST /api/runs/<id>/stop */
void
cmdb_server_api_run_stop (CmdbServer *self, SoupServerMessage *msg,
                          const CmdbServerRequest *request)
{
  g_autoptr (CmdbRun) run = load_run (self, msg, request->params[0]);

  if (run == NULL)
    return;
  /* Not cancelled when the client goes away: the stop was asked for. */
  cmdb_run_store_stop_async (self->run_store, cmdb_run_get_id (run), NULL, on_run_stopped,
                             cmdb_server_deferred_new (msg, self, self->deferred,
                                                       cmdb_run_ref (run),
                                                       (GDestroyNotify) cmdb_run_unref));
}

/* ---- background updates ---- */

struct _CmdbServerRunUpdates
{
  CmdbRunStore *store;
  guint source;
  struct _UpdateCall *update; /* (nullable) the update under way */
};

/* The store's update holds a reference to the store, not to us: a flag
 * reached through it says whether we are still there. */
typedef struct _UpdateCall
{
  CmdbServerRunUpdates *owner; /* NULL once the server stopped */
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
  CmdbServerRunUpdates *self = user_data;
  UpdateCall *call;

  if (self->update != NULL)
    return G_SOURCE_CONTINUE;
  call = g_new0 (UpdateCall, 1);
  call->owner = self;
  self->update = call;
  cmdb_run_store_update_async (self->store, NULL, on_runs_updated, call);
  return G_SOURCE_CONTINUE;
}

CmdbServerRunUpdates *
cmdb_server_run_updates_new (CmdbRunStore *store)
{
  CmdbServerRunUpdates *self = g_new0 (CmdbServerRunUpdates, 1);

  self->store = g_object_ref (store);
  self->source = g_timeout_add (UPDATE_INTERVAL_MS, on_update_runs, self);
  return self;
}

void
cmdb_server_run_updates_free (CmdbServerRunUpdates *self)
{
  if (self == NULL)
    return;
  g_source_remove (self->source);
  if (self->update != NULL)
    self->update->owner = NULL;
  g_object_unref (self->store);
  g_free (self);
}

/* ---- what pages use ---- */

JsonNode *
cmdb_server_runs_last_run_json (CmdbServer *self, CmdbPageStore *store)
{
  g_autoptr (CmdbRun) run = NULL;
  const char *id;

  if (store->last_run == NULL || !JSON_NODE_HOLDS_OBJECT (store->last_run))
    return NULL;
  id = cmdb_server_member_string (json_node_get_object (store->last_run), "id");
  if (!cmdb_server_is_valid_run_id (id))
    return NULL;
  run = cmdb_run_store_load (self->run_store, id, NULL);
  return run != NULL ? cmdb_run_to_json (run) : NULL;
}
