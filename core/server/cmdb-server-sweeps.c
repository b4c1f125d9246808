#define G_LOG_DOMAIN "cmdb-server"

/* The sweeps API (docs/api.md, "Sweeps"; docs/sweeps.md): preview a sweep
 * of a page (its members' commands, nothing started), launch one (queued
 * member runs and a sweep supervisor holding the local queue), list them,
 * one sweep's comparison (members, varying values, status, metrics, the
 * best row) as JSON or CSV, stop, rerun the failed members, delete.
 *
 * Members are built from the page's stored form with each member's values
 * set as a person types them, so a sweep runs what the page shows with
 * only the swept keys changed. The server also recovers queues whose
 * supervisor is gone (it was killed), at start and every few seconds. */

#include "cmdb-server-resource-private.h"
#include "sweep/cmdb-sweep-private.h"

#include <string.h>

/* How often the server looks for queues without a supervisor. */
#define RECOVERY_INTERVAL_S 3

static gboolean
on_recover (gpointer user_data)
{
  CmdbServer *self = user_data;

  cmdb_sweep_recover (self->run_store);
  return G_SOURCE_CONTINUE;
}

void
cmdb_server_sweeps_start (CmdbServer *self)
{
  cmdb_sweep_recover (self->run_store);
  self->sweep_recovery = g_timeout_add_seconds (RECOVERY_INTERVAL_S, on_recover, self);
}

void
cmdb_server_sweeps_stop (CmdbServer *self)
{
  if (self->sweep_recovery != 0)
    g_source_remove (self->sweep_recovery);
  self->sweep_recovery = 0;
}

/* The sweep fields of a request: "sweep" is an object {KEY: VALUES} or an
 * array [{key, values}] (ordered: the first varies slowest), VALUES a JSON
 * array of values or a string in the CLI's syntax ("a,b,c",
 * "range(1,4,1)", "choice(a,b)"). (transfer full) (element-type
 * CmdbSweepAxis), or NULL with @error. */
static GPtrArray *
parse_axes (JsonNode *sweep, GError **error)
{
  g_autoptr (GPtrArray) axes
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_sweep_axis_free);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) specs = g_ptr_array_new ();

  if (sweep != NULL && JSON_NODE_HOLDS_OBJECT (sweep))
    {
      g_autoptr (GList) members = json_object_get_members (json_node_get_object (sweep));

      for (GList *l = members; l != NULL; l = l->next)
        {
          g_ptr_array_add (keys, g_strdup (l->data));
          g_ptr_array_add (specs, json_object_get_member (json_node_get_object (sweep), l->data));
        }
    }
  else if (sweep != NULL && JSON_NODE_HOLDS_ARRAY (sweep))
    {
      JsonArray *array = json_node_get_array (sweep);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          JsonObject *field
              = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
          const char *key = field != NULL ? cmdb_server_member_string (field, "key") : NULL;

          if (key == NULL || !json_object_has_member (field, "values"))
            {
              g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                           "sweep[%u]: expected {\"key\": KEY, \"values\": [VALUE...]}", i);
              return NULL;
            }
          g_ptr_array_add (keys, g_strdup (key));
          g_ptr_array_add (specs, json_object_get_member (field, "values"));
        }
    }
  else
    {
      g_set_error (
          error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
          "expected \"sweep\": {KEY: [VALUE...] or \"a,b,c\" or \"range(start,stop,step)\"}");
      return NULL;
    }
  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = g_ptr_array_index (keys, i);
      JsonNode *spec = g_ptr_array_index (specs, i);
      CmdbSweepAxis *axis;

      if (JSON_NODE_HOLDS_ARRAY (spec))
        {
          JsonArray *values = json_node_get_array (spec);

          if (json_array_get_length (values) == 0)
            {
              g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                           "sweep %s: no values", key);
              return NULL;
            }
          axis = g_new0 (CmdbSweepAxis, 1);
          axis->key = g_strdup (key);
          axis->values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
          for (guint v = 0; v < json_array_get_length (values); v++)
            g_ptr_array_add (axis->values, json_node_copy (json_array_get_element (values, v)));
        }
      else if (JSON_NODE_HOLDS_VALUE (spec) && json_node_get_value_type (spec) == G_TYPE_STRING)
        {
          g_autofree char *text = g_strdup_printf ("%s=%s", key, json_node_get_string (spec));

          axis = cmdb_sweep_axis_parse (text, error);
          if (axis == NULL)
            return NULL;
        }
      else
        {
          g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                       "sweep %s: expected an array of values or a string (\"a,b,c\", "
                       "\"range(1,4)\")",
                       key);
          return NULL;
        }
      g_ptr_array_add (axes, axis);
    }
  return g_steal_pointer (&axes);
}

/* A sweep request's members built: for each, the spec (when it builds)
 * and its line of the preview {values, command, ok, errors}. */
typedef struct
{
  GPtrArray *keys;    /* (element-type utf8) */
  GPtrArray *specs;   /* (element-type CmdbSweepMemberSpec) the members that build */
  JsonArray *preview; /* every member */
  guint n_failed;
} SweepBuild;

static void
sweep_build_clear (SweepBuild *build)
{
  g_clear_pointer (&build->keys, g_ptr_array_unref);
  g_clear_pointer (&build->specs, g_ptr_array_unref);
  g_clear_pointer (&build->preview, json_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SweepBuild, sweep_build_clear)

/* Builds every member of the request's sweep for @page; FALSE with @error
 * (and @ret_status) for a request that cannot be read or a sweep over the
 * limit. Members that do not build are counted and described in the
 * preview, not errors here. */
static gboolean
build_members (CmdbServer *self, const char *page, JsonObject *body, SweepBuild *build,
               guint *ret_status, GError **error)
{
  g_autoptr (GPtrArray) axes = parse_axes (json_object_get_member (body, "sweep"), error);
  g_autoptr (GPtrArray) members = NULL;

  *ret_status = SOUP_STATUS_BAD_REQUEST;
  if (axes == NULL)
    return FALSE;
  members = cmdb_sweep_expand (axes, cmdb_sweep_get_limit (cmdb_context_get_config (self->context)),
                               error);
  if (members == NULL)
    {
      *ret_status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
      return FALSE;
    }
  build->keys = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < axes->len; i++)
    g_ptr_array_add (build->keys, g_strdup (((CmdbSweepAxis *) g_ptr_array_index (axes, i))->key));
  build->specs = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_sweep_member_spec_free);
  build->preview = json_array_new ();
  for (guint i = 0; i < members->len; i++)
    {
      JsonObject *member = g_ptr_array_index (members, i);
      g_autoptr (JsonObject) values = NULL;
      g_autofree char *experiment = NULL;
      g_autoptr (GError) member_error = NULL;
      g_autoptr (CmdbCommand) command = cmdb_server_build_page_member_command (
          self, page, member, &values, &experiment, &member_error);
      JsonObject *line = json_object_new ();
      JsonArray *errors = json_array_new ();
      gboolean ok = command != NULL && command->errors->len == 0;

      json_object_set_object_member (line, "values", json_object_ref (member));
      if (command != NULL)
        json_object_set_string_member (line, "command", command->display);
      else
        json_object_set_null_member (line, "command");
      if (member_error != NULL)
        json_array_add_string_element (errors, member_error->message);
      for (guint e = 0; command != NULL && e < command->errors->len; e++)
        json_array_add_string_element (errors, g_ptr_array_index (command->errors, e));
      json_object_set_boolean_member (line, "ok", ok);
      json_object_set_array_member (line, "errors", errors);
      json_array_add_object_element (build->preview, line);
      if (!ok)
        {
          build->n_failed++;
          continue;
        }
      {
        CmdbSweepMemberSpec *spec = g_new0 (CmdbSweepMemberSpec, 1);
        g_autoptr (GStrvBuilder) words = g_strv_builder_new ();

        for (guint w = 0; w < command->argv->len; w++)
          g_strv_builder_add (words, g_ptr_array_index (command->argv, w));
        spec->argv = g_strv_builder_end (words);
        spec->values = json_object_ref (member);
        spec->form_values = g_steal_pointer (&values);
        spec->command = g_strdup (command->display);
        spec->experiment = g_steal_pointer (&experiment);
        g_ptr_array_add (build->specs, spec);
      }
    }
  return TRUE;
}

/* {sweep: {count, keys, commands: [{values, command, ok, errors}]}} */
static JsonNode *
preview_node (SweepBuild *build)
{
  JsonObject *root = json_object_new ();
  JsonObject *sweep = json_object_new ();
  JsonArray *keys = json_array_new ();

  for (guint i = 0; i < build->keys->len; i++)
    json_array_add_string_element (keys, g_ptr_array_index (build->keys, i));
  json_object_set_int_member (sweep, "count", json_array_get_length (build->preview));
  json_object_set_int_member (sweep, "failed", build->n_failed);
  json_object_set_array_member (sweep, "keys", keys);
  json_object_set_array_member (sweep, "commands", json_array_ref (build->preview));
  json_object_set_object_member (root, "sweep", sweep);
  return cmdb_server_object_node (root);
}

/* The page of a sweep request; answered (400/404) when missing or unknown. */
static const char *
request_page (CmdbServer *self, SoupServerMessage *msg, JsonObject *body)
{
  const char *page = cmdb_server_member_string (body, "page");

  if (page == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "expected {\"page\": ID, \"sweep\": {KEY: [VALUE...]}}");
      return NULL;
    }
  if (!cmdb_server_page_known (self, msg, page))
    return NULL;
  return page;
}

/* POST /api/sweeps/preview {page, sweep}: every member's command, nothing
 * started (the page shows the count and each command first). */
void
cmdb_server_api_sweeps_preview (CmdbServer *self, SoupServerMessage *msg,
                                const CmdbServerRequest *request)
{
  g_autoptr (JsonObject) body = cmdb_server_request_json_object (msg);
  g_auto (SweepBuild) build = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  const char *page;
  guint status;

  if (body == NULL || (page = request_page (self, msg, body)) == NULL)
    return;
  if (!build_members (self, page, body, &build, &status, &error))
    {
      cmdb_server_respond_json_error (msg, status, error->message);
      return;
    }
  node = preview_node (&build);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

static JsonNode *
sweep_summary (CmdbServer *self, CmdbSweep *sweep)
{
  g_autoptr (GPtrArray) members = cmdb_sweep_load_members (self->run_store, sweep);

  return cmdb_sweep_to_json (sweep, members, TRUE);
}

/* POST /api/sweeps {page, sweep, parallel?, executor?, executor_options?}:
 * 201 with the sweep (its members queued); 422 {error, sweep: preview}
 * when a member does not build (nothing is started). */
void
cmdb_server_api_sweeps_start (CmdbServer *self, SoupServerMessage *msg,
                              const CmdbServerRequest *request)
{
  g_autoptr (JsonObject) body = cmdb_server_request_json_object (msg);
  g_auto (SweepBuild) build = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbSweep) sweep = NULL;
  g_autoptr (JsonNode) node = NULL;
  const char *page;
  const char *executor = NULL;
  JsonObject *options = NULL;
  JsonNode *options_node;
  gint64 parallel;
  guint status;

  if (body == NULL || (page = request_page (self, msg, body)) == NULL)
    return;
  parallel = json_object_get_int_member_with_default (
      body, "parallel", cmdb_sweep_get_default_parallel (cmdb_context_get_config (self->context)));
  if (parallel < 1 || parallel > 1000)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "parallel must be between 1 and 1000");
      return;
    }
  if (json_object_has_member (body, "executor")
      && !JSON_NODE_HOLDS_NULL (json_object_get_member (body, "executor")))
    {
      executor = cmdb_server_member_string (body, "executor");
      if (executor == NULL || !cmdb_server_executor_is_known (self, executor))
        {
          cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, "unknown executor");
          return;
        }
    }
  options_node = json_object_get_member (body, "executor_options");
  if (options_node != NULL && JSON_NODE_HOLDS_OBJECT (options_node)
      && json_object_get_size (json_node_get_object (options_node)) > 0)
    options = json_node_get_object (options_node);
  if (!build_members (self, page, body, &build, &status, &error))
    {
      cmdb_server_respond_json_error (msg, status, error->message);
      return;
    }
  if (build.n_failed > 0)
    {
      g_autoptr (JsonNode) preview = preview_node (&build);
      JsonObject *answer = json_node_get_object (preview);

      json_object_set_string_member (
          answer, "error",
          "a member of the sweep would not run (see sweep.commands); nothing was started");
      json_object_set_int_member (answer, "status", SOUP_STATUS_UNPROCESSABLE_ENTITY);
      cmdb_server_respond_json (msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, preview);
      return;
    }
  sweep = cmdb_sweep_create (self->run_store, page, executor, (guint) parallel, build.keys,
                             build.specs, options, NULL, &error);
  if (sweep == NULL || !cmdb_sweep_launch (self->run_store, sweep, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  node = sweep_summary (self, sweep);
  cmdb_server_respond_json (msg, SOUP_STATUS_CREATED, node);
}

/* GET /api/sweeps[?page=ID]: newest first, without members. */
void
cmdb_server_api_sweeps_list (CmdbServer *self, SoupServerMessage *msg,
                             const CmdbServerRequest *request)
{
  const char *page = cmdb_server_query_get (request->query, "page");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sweeps = cmdb_sweep_list (self->run_store, &error);
  g_autoptr (JsonNode) node = NULL;
  JsonArray *array;

  if (sweeps == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  array = json_array_new ();
  for (guint i = 0; i < sweeps->len; i++)
    {
      CmdbSweep *sweep = g_ptr_array_index (sweeps, i);
      g_autoptr (GPtrArray) members = NULL;

      if (page != NULL && g_strcmp0 (page, cmdb_sweep_get_page (sweep)) != 0)
        continue;
      members = cmdb_sweep_load_members (self->run_store, sweep);
      json_array_add_element (array, cmdb_sweep_to_json (sweep, members, FALSE));
    }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* (transfer full): the sweep the path names; answered 404 when none. */
static CmdbSweep *
load_sweep (CmdbServer *self, SoupServerMessage *msg, const char *id)
{
  g_autoptr (GError) error = NULL;
  CmdbSweep *sweep = NULL;

  /* Exact ids only: a prefix is for people typing. */
  if (cmdb_server_is_valid_run_id (id))
    sweep = cmdb_sweep_load (self->run_store, id, &error);
  if (sweep != NULL && g_strcmp0 (cmdb_sweep_get_id (sweep), id) != 0)
    g_clear_pointer (&sweep, cmdb_sweep_unref);
  if (sweep == NULL)
    {
      g_autofree char *message = g_strdup_printf ("no sweep %s", id);

      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
    }
  return sweep;
}

/* GET /api/sweeps/{sweep}: the comparison (cmdb_sweep_report). */
void
cmdb_server_api_sweep_get (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
{
  g_autoptr (CmdbSweep) sweep = load_sweep (self, msg, request->params[0]);
  g_autoptr (JsonNode) report = NULL;

  if (sweep == NULL)
    return;
  report = cmdb_sweep_report (self->run_store, sweep);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, report);
}

/* GET /api/sweeps/{sweep}/csv: the comparison as a CSV attachment. */
void
cmdb_server_api_sweep_csv (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
{
  g_autoptr (CmdbSweep) sweep = load_sweep (self, msg, request->params[0]);
  g_autoptr (JsonNode) report = NULL;
  g_autofree char *disposition = NULL;

  if (sweep == NULL)
    return;
  report = cmdb_sweep_report (self->run_store, sweep);
  cmdb_server_respond (msg, SOUP_STATUS_OK, "text/csv; charset=utf-8",
                       cmdb_sweep_report_to_csv (report));
  disposition = g_strdup_printf ("attachment; filename=\"%s.csv\"", cmdb_sweep_get_id (sweep));
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Content-Disposition", disposition);
}

static void
on_member_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!cmdb_run_store_stop_finish (CMDB_RUN_STORE (source), result, &error))
    g_debug ("stopping a sweep member: %s", error->message);
}

/* POST /api/sweeps/{sweep}/stop: 202; queued members are cancelled now,
 * running ones asked to stop (their executors answer in the background). */
void
cmdb_server_api_sweep_stop (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  g_autoptr (CmdbSweep) sweep = load_sweep (self, msg, request->params[0]);
  g_autoptr (GPtrArray) members = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (sweep == NULL)
    return;
  if (!cmdb_sweep_stop (self->run_store, sweep, FALSE, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  members = cmdb_sweep_load_members (self->run_store, sweep);
  for (guint i = 0; i < members->len; i++)
    {
      CmdbRun *run = g_ptr_array_index (members, i);

      if (run != NULL && !cmdb_run_status_is_final (cmdb_run_get_status (run))
          && cmdb_run_get_status (run) != CMDB_RUN_STATUS_QUEUED)
        cmdb_run_store_stop_async (self->run_store, cmdb_run_get_id (run), NULL, on_member_stopped,
                                   NULL);
    }
  node = cmdb_sweep_to_json (sweep, members, TRUE);
  cmdb_server_respond_json (msg, SOUP_STATUS_ACCEPTED, node);
}

/* POST /api/sweeps/{sweep}/rerun-failed {parallel?}: 201 with a new sweep
 * of the members that failed, were lost or stopped (their exact commands),
 * its rerun_of naming this one; 409 when there is none. */
void
cmdb_server_api_sweep_rerun_failed (CmdbServer *self, SoupServerMessage *msg,
                                    const CmdbServerRequest *request)
{
  g_autoptr (CmdbSweep) sweep = load_sweep (self, msg, request->params[0]);
  g_autoptr (CmdbSweep) rerun = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;

  if (sweep == NULL)
    return;
  rerun = cmdb_sweep_rerun_failed (self->run_store, sweep, 0, &error);
  if (rerun == NULL)
    {
      cmdb_server_respond_json_error (
          msg,
          g_error_matches (error, CMDB_RUN_ERROR, CMDB_RUN_ERROR_NOT_FOUND)
              ? SOUP_STATUS_CONFLICT
              : SOUP_STATUS_INTERNAL_SERVER_ERROR,
          error->message);
      return;
    }
  node = sweep_summary (self, rerun);
  cmdb_server_respond_json (msg, SOUP_STATUS_CREATED, node);
}

/* DELETE /api/sweeps/{sweep}: the record and every member's run; 409 while
 * a member is unfinished. */
void
cmdb_server_api_sweep_delete (CmdbServer *self, SoupServerMessage *msg,
                              const CmdbServerRequest *request)
{
  g_autoptr (CmdbSweep) sweep = load_sweep (self, msg, request->params[0]);
  g_autoptr (GError) error = NULL;
  JsonObject *answer;
  g_autoptr (JsonNode) node = NULL;

  if (sweep == NULL)
    return;
  if (!cmdb_sweep_delete (self->run_store, sweep, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_CONFLICT, error->message);
      return;
    }
  answer = json_object_new ();
  json_object_set_string_member (answer, "deleted", cmdb_sweep_get_id (sweep));
  json_object_set_int_member (answer, "runs", cmdb_sweep_get_n_members (sweep));
  node = cmdb_server_object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* GET /sweeps/{sweep}[?sort=COLUMN&order=asc|desc][&view=fragment]: the
 * sweep's comparison page (docs/web-ui.md, "Sweeps"), rendered whole so it
 * shows the sweep's state without JavaScript; ?view=fragment is only the
 * page body (what sweeps.js swaps in while members run). */
void
cmdb_server_serve_sweep_page (CmdbServer *self, SoupServerMessage *msg,
                              const CmdbServerRequest *request)
{
  const char *id = request->params[0];
  const char *sort = cmdb_server_query_get (request->query, "sort");
  const char *order = cmdb_server_query_get (request->query, "order");
  const char *view = cmdb_server_query_get (request->query, "view");
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbSweep) sweep = NULL;
  g_autoptr (JsonNode) report = NULL;
  g_autofree char *body = NULL;
  g_autofree char *title = NULL;
  CmdbPluginRecord *record;

  if (cmdb_server_is_valid_run_id (id))
    sweep = cmdb_sweep_load (self->run_store, id, &error);
  if (sweep == NULL || g_strcmp0 (cmdb_sweep_get_id (sweep), id) != 0)
    {
      cmdb_server_respond_html_message (msg, SOUP_STATUS_NOT_FOUND, "Not found",
                                        "There is no such sweep (it may have been deleted).");
      return;
    }
  report = cmdb_sweep_report (self->run_store, sweep);
  record = cmdb_server_lookup_page (self, cmdb_sweep_get_page (sweep));
  body = cmdb_html_render_sweep (json_node_get_object (report),
                                 record != NULL ? record->title : NULL, sort,
                                 g_strcmp0 (order, "desc") == 0);
  if (g_strcmp0 (view, "fragment") == 0)
    {
      cmdb_server_respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8",
                           g_steal_pointer (&body));
      return;
    }
  title = g_strdup_printf ("Sweep %s", id);
  cmdb_server_respond (msg, SOUP_STATUS_OK, "text/html; charset=utf-8",
                       cmdb_server_render_document (self, title, body));
}
