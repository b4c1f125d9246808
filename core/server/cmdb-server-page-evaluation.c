#define G_LOG_DOMAIN "cmdb-server"

/* cmdb-server-page-evaluation.c: a page evaluated for its stored state.
 * Every page view and every answer about a page starts here: the page's
 * session opened, the form evaluated from the user's values, the command
 * built and checked against the Hydra configs, the edited text read
 * against the form. The last evaluation of each page is a derived cache
 * entry, reused while its files and its inputs are unchanged
 * (docs/cache.md, "Rendered pages"). */

#include "cmdb-server-page-evaluation-private.h"

#include "base/cmdb-json-private.h"
#include "schema/cmdb-schema-defaults.h"

#include <string.h>

static void
page_evaluation_clear (CmdbPageEvaluation *evaluation)
{
  g_clear_pointer (&evaluation->session, cmdb_page_session_unref);
  g_clear_pointer (&evaluation->schema, cmdb_schema_unref);
  g_clear_pointer (&evaluation->form, cmdb_form_state_unref);
  g_clear_pointer (&evaluation->command, cmdb_command_unref);
  g_clear_pointer (&evaluation->command_error, g_free);
  g_clear_pointer (&evaluation->defaults_command, g_free);
  g_clear_pointer (&evaluation->use_cases, g_ptr_array_unref);
  g_clear_pointer (&evaluation->compose, cmdb_compose_result_free);
  g_clear_pointer (&evaluation->compose_errors, g_ptr_array_unref);
  g_clear_pointer (&evaluation->reading, cmdb_command_reading_free);
  g_clear_pointer (&evaluation->setup_problems, g_ptr_array_unref);
  g_clear_pointer (&evaluation->inputs, g_free);
  g_clear_pointer (&evaluation->form_node, json_node_unref);
  g_clear_pointer (&evaluation->command_node, json_node_unref);
  g_clear_pointer (&evaluation->form_text, g_free);
  g_clear_pointer (&evaluation->command_text, g_free);
}

CmdbPageEvaluation *
cmdb_page_evaluation_new (void)
{
  return g_rc_box_new0 (CmdbPageEvaluation);
}

CmdbPageEvaluation *
cmdb_page_evaluation_ref (CmdbPageEvaluation *evaluation)
{
  return g_rc_box_acquire (evaluation);
}

void
cmdb_page_evaluation_unref (CmdbPageEvaluation *evaluation)
{
  g_rc_box_release_full (evaluation, (GDestroyNotify) page_evaluation_clear);
}

/* Suggestions are a Train feature in the original: a page plugin opts in
 * with X-Suggestions=true (train.plugin does). */
static gboolean
page_has_suggestions (CmdbPluginRecord *record)
{
  const char *flag = peas_plugin_info_get_external_data (record->info, "Suggestions");

  return flag != NULL && (g_ascii_strcasecmp (flag, "true") == 0 || g_str_equal (flag, "1"));
}

CmdbFormInput *
cmdb_server_input_from_store (CmdbPageStore *store)
{
  CmdbFormInput *input = cmdb_form_input_new ();
  g_autoptr (GList) keys = json_object_get_members (store->values);

  for (GList *l = keys; l != NULL; l = l->next)
    cmdb_form_input_set (input, l->data,
                         json_node_copy (json_object_get_member (store->values, l->data)), TRUE);
  return input;
}

void
cmdb_server_store_values_from_input (CmdbPageStore *store, CmdbFormInput *input)
{
  g_autoptr (JsonNode) node = cmdb_form_input_to_json (input);
  JsonObject *object = json_node_get_object (node);
  JsonObject *values = json_object_get_object_member (object, "values");
  JsonArray *user_set = json_object_get_array_member (object, "user_set");
  JsonObject *kept = json_object_new ();

  for (guint i = 0; user_set != NULL && i < json_array_get_length (user_set); i++)
    {
      const char *key = json_array_get_string_element (user_set, i);
      JsonNode *value = values != NULL ? json_object_get_member (values, key) : NULL;
      if (value != NULL)
        json_object_set_member (kept, key, json_node_copy (value));
    }
  json_object_unref (store->values);
  store->values = kept;
}

/* The original shows "Append architecture + encoder to experiment name"
 * on the pages whose suffix rule is on by default (Train); the user's
 * choice, kept per page, wins (the session's precedence, as in the CLI). */
void
cmdb_page_evaluation_resolve_suffix (CmdbPageStore *store, CmdbPageEvaluation *evaluation)
{
  evaluation->suffix_available = cmdb_page_session_has_suffix_option (evaluation->session);
  evaluation->suffix_default = cmdb_page_session_get_suffix_default (evaluation->session);
  evaluation->suffix = cmdb_page_session_resolve_suffix (
      evaluation->session, evaluation->suffix_available ? store->suffix : -1);
}

typedef struct
{
  CmdbServer *server;
  const char *page_id;
  gboolean suffix;
} DefaultsRequest;

static gpointer
compute_defaults_command (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                          GError **error)
{
  DefaultsRequest *request = user_data;
  g_autoptr (CmdbPageSession) session = NULL;
  g_autoptr (CmdbFormState) defaults = NULL;
  g_autoptr (CmdbCommand) command = NULL;

  /* Opening the page here (cache hits) makes every file and directory its
   * schema came from, fragments included, a dependency. */
  session = cmdb_page_session_open (request->server->host, request->server->context,
                                    request->page_id, error);
  if (session == NULL)
    return NULL;
  defaults = cmdb_page_session_evaluate (session, NULL, CMDB_PAGE_SESSION_FOLLOW);
  command = cmdb_page_session_build (session, defaults, request->suffix, error);
  if (command == NULL)
    return NULL;
  *ret_size = strlen (command->display) + 1;
  return g_bytes_new (command->display, strlen (command->display) + 1);
}

/* (transfer full) (nullable): the command of the page's defaults, for the
 * "against the defaults" diff. It changes only when a file it came from
 * changes, so it is a derived cache entry (the evaluation inside records
 * its dependencies) instead of a second evaluation on every request. */
char *
cmdb_server_defaults_command_display (CmdbServer *self, const char *page_id,
                                      const char *schema_path, CmdbPageEvaluation *evaluation)
{
  DefaultsRequest request = { self, page_id, evaluation->suffix_default };
  g_autofree char *key = g_strdup_printf ("server:defaults-command:%s:%s:%d", page_id, schema_path,
                                          evaluation->suffix_default);
  g_autoptr (GBytes) display = cmdb_cache_get_derived (
      cmdb_context_get_cache (self->context), key, compute_defaults_command, &request,
      (GBoxedCopyFunc) g_bytes_ref, (GDestroyNotify) g_bytes_unref, NULL);

  return display != NULL ? g_strdup (g_bytes_get_data (display, NULL)) : NULL;
}

/* Opens the page's session: the page activated, its schema loaded. */
gboolean
cmdb_page_evaluation_open (CmdbServer *self, const char *page_id, CmdbPageEvaluation *evaluation,
                           GError **error)
{
  if (cmdb_server_lookup_page (self, page_id) == NULL)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, "no page %s", page_id);
      return FALSE;
    }
  evaluation->session = cmdb_page_session_open (self->host, self->context, page_id, error);
  if (evaluation->session == NULL)
    return FALSE;
  evaluation->record = cmdb_page_session_get_record (evaluation->session);
  evaluation->schema = cmdb_schema_ref (cmdb_page_session_get_schema (evaluation->session));
  return TRUE;
}

/* The composition check of what Run would run (the edited text when there
 * is one, else the form's command): problems show at the field whose
 * override they are about, the others with the command. */
void
cmdb_page_evaluation_check_composes (CmdbPageEvaluation *evaluation, CmdbPageStore *store)
{
  const char *edited = store->edited;

  if (edited != NULL && g_strcmp0 (edited, evaluation->command->display) != 0)
    {
      g_autoptr (GPtrArray) words = cmdb_command_split_text (edited, NULL);

      if (words != NULL)
        evaluation->compose = cmdb_page_session_compose_argv (evaluation->session, words);
    }
  else
    evaluation->compose = cmdb_page_session_compose (evaluation->session, evaluation->command);
  evaluation->compose_errors = cmdb_page_session_attach_compose (
      evaluation->session, evaluation->form, evaluation->compose);
}

/* (transfer full) (nullable): the edited command (if any) read against
 * the form of @evaluation: whether the form is in effect, the extras, what
 * differs, a word that does not parse. */
CmdbCommandReading *
cmdb_page_evaluation_read_edited_command (CmdbPageStore *store, CmdbPageEvaluation *evaluation)
{
  g_autoptr (CmdbFormInput) input = NULL;
  g_autoptr (GError) error = NULL;
  CmdbCommandReading *reading;

  if (store->edited == NULL)
    return NULL;
  input = cmdb_server_input_from_store (store);
  reading = cmdb_page_session_read_command (evaluation->session, input, evaluation->suffix,
                                            store->edited, &error);
  if (reading == NULL)
    {
      reading = g_new0 (CmdbCommandReading, 1);
      reading->extras = g_ptr_array_new_with_free_func (g_free);
      reading->differences = g_ptr_array_new_with_free_func (g_free);
      reading->error = g_strdup (error->message);
      reading->error_offset = -1;
    }
  return reading;
}

/* Fills @evaluation from the stored state of @store. */
static gboolean
compute_evaluation (CmdbServer *self, const char *page_id, CmdbPageStore *store,
                    CmdbPageEvaluation *evaluation, GError **error)
{
  const char *schema_path;
  g_autoptr (CmdbFormInput) input = NULL;
  g_autoptr (GError) command_error = NULL;

  if (!cmdb_page_evaluation_open (self, page_id, evaluation, error))
    return FALSE;
  schema_path = cmdb_page_session_get_schema_path (evaluation->session);

  cmdb_page_evaluation_resolve_suffix (store, evaluation);
  input = cmdb_server_input_from_store (store);
  evaluation->form
      = cmdb_page_session_evaluate (evaluation->session, input, CMDB_PAGE_SESSION_FOLLOW);
  evaluation->command = cmdb_page_session_build (evaluation->session, evaluation->form,
                                                 evaluation->suffix, &command_error);
  if (evaluation->command == NULL)
    evaluation->command_error = g_strdup (command_error->message);
  else
    cmdb_page_evaluation_check_composes (evaluation, store);

  evaluation->defaults_command
      = cmdb_server_defaults_command_display (self, page_id, schema_path, evaluation);
  /* This page's own set-up (launcher, runner script), for its banner: a
   * lookup on PATH and a stat, recorded as dependencies of a cached view. */
  evaluation->setup_problems
      = cmdb_page_session_check_setup (evaluation->session, evaluation->command);

  if (page_has_suggestions (evaluation->record))
    {
      const CmdbFieldState *architecture
          = cmdb_form_state_lookup (evaluation->form, CMDB_SCHEMA_DEFAULT_ARCHITECTURE_KEY);
      const char *name = NULL;

      if (architecture != NULL && architecture->visible && architecture->value != NULL
          && JSON_NODE_HOLDS_VALUE (architecture->value)
          && json_node_get_value_type (architecture->value) == G_TYPE_STRING)
        name = json_node_get_string (architecture->value);
      if (architecture != NULL && architecture->visible)
        evaluation->use_cases = cmdb_list_use_cases (self->context, name);
    }
  evaluation->reading = cmdb_page_evaluation_read_edited_command (store, evaluation);
  return TRUE;
}

/* What an evaluation is a function of besides files: the user's values,
 * the suffix choice and the edited command. (transfer full) */
static char *
evaluation_inputs (CmdbPageStore *store)
{
  g_autoptr (JsonNode) values = json_node_init_object (json_node_alloc (), store->values);
  g_autofree char *values_text = json_to_string (values, FALSE);

  return g_strdup_printf ("%d\n%s\n%s", store->suffix, values_text,
                          store->edited != NULL ? store->edited : "\x01");
}

typedef struct
{
  CmdbServer *self;
  const char *page_id;
  CmdbPageStore *store;
  const char *inputs;
} EvaluationRequest;

static gpointer
compute_cached_evaluation (CmdbCache *cache, const char *key, gpointer user_data, gsize *ret_size,
                           GError **error)
{
  EvaluationRequest *request = user_data;
  g_autoptr (CmdbPageEvaluation) evaluation = cmdb_page_evaluation_new ();

  if (!compute_evaluation (request->self, request->page_id, request->store, evaluation, error))
    return NULL;
  evaluation->inputs = g_strdup (request->inputs);
  /* The form state, the command and the composition verdict: a rough
   * size, enough for the cache's memory bound. */
  *ret_size = 64 * 1024 + strlen (request->inputs);
  return g_steal_pointer (&evaluation);
}

typedef const char *(*StateOfFunc) (gpointer value);

/* (transfer full) (nullable): the value of @key for @state, from the cache
 * when it holds one made for @state and nothing it depends on changed;
 * computed otherwise. For values only the latest of which is worth
 * keeping (one entry per page, not one per state the user went through):
 * a value made for another state (@state_of says which) is replaced.
 * Failures are not kept: the next request tries again. */
static gpointer
get_latest (CmdbCache *cache, const char *key, const char *state, StateOfFunc state_of,
            CmdbCacheComputeFunc compute, gpointer request, GBoxedCopyFunc value_ref,
            GDestroyNotify value_unref, GError **error)
{
  gpointer value
      = cmdb_cache_get_derived (cache, key, compute, request, value_ref, value_unref, error);

  if (value != NULL && !g_str_equal (state_of (value), state))
    {
      value_unref (value);
      cmdb_cache_remove (cache, key);
      value = cmdb_cache_get_derived (cache, key, compute, request, value_ref, value_unref, error);
    }
  if (value == NULL)
    cmdb_cache_remove (cache, key);
  return value;
}

static const char *
evaluation_state (gpointer value)
{
  return ((CmdbPageEvaluation *) value)->inputs;
}

/* (transfer full) (nullable): the evaluation of @page_id for the stored
 * state of @store; NULL with @error when the page cannot be evaluated.
 *
 * A request that changes the state evaluates the page before the change
 * (to read the request against the form) and after it (for the answer),
 * and the next one starts from the state the last one left. So the last
 * evaluation of each page is a derived cache entry: its computation
 * records every file it read (schema, configs, directory listings, the
 * composition's configs) and it is reused while they and the inputs it was
 * computed from are unchanged. It is shared: nobody changes it. */
CmdbPageEvaluation *
cmdb_server_evaluate_page (CmdbServer *self, const char *page_id, CmdbPageStore *store,
                           GError **error)
{
  CmdbCache *cache = cmdb_context_get_cache (self->context);
  g_autofree char *inputs = evaluation_inputs (store);
  g_autofree char *key = g_strconcat (CMDB_PAGE_EVALUATION_KEY, page_id, NULL);
  EvaluationRequest request = { self, page_id, store, inputs };

  if (cmdb_server_lookup_page (self, page_id) == NULL)
    {
      g_set_error (error, CMDB_HOST_ERROR, CMDB_HOST_ERROR_NOT_FOUND, "no page %s", page_id);
      return NULL;
    }
  return get_latest (cache, key, inputs, evaluation_state, compute_cached_evaluation, &request,
                     (GBoxedCopyFunc) cmdb_page_evaluation_ref,
                     (GDestroyNotify) cmdb_page_evaluation_unref, error);
}

JsonNode *
cmdb_page_evaluation_command_json (CmdbPageEvaluation *evaluation)
{
  JsonNode *node;

  if (evaluation->command == NULL)
    {
      node = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (node, json_object_new ());
      json_object_set_null_member (json_node_get_object (node), "command");
      json_object_set_string_member (json_node_get_object (node), "error",
                                     evaluation->command_error != NULL ? evaluation->command_error
                                                                       : "");
      return node;
    }
  node = cmdb_command_to_json (evaluation->command);
  json_object_set_string_member (json_node_get_object (node), "pretty",
                                 evaluation->command->pretty);
  /* The composition verdict (null: no primary config to check against)
   * and its problems that no field owns. */
  if (evaluation->compose != NULL)
    {
      JsonArray *others = json_array_new ();

      json_object_set_member (json_node_get_object (node), "compose",
                              cmdb_compose_result_to_json (evaluation->compose));
      for (guint i = 0; evaluation->compose_errors != NULL && i < evaluation->compose_errors->len;
           i++)
        json_array_add_string_element (others, g_ptr_array_index (evaluation->compose_errors, i));
      json_object_set_array_member (json_node_get_object (node), "compose_errors", others);
    }
  else
    json_object_set_null_member (json_node_get_object (node), "compose");
  return node;
}

/* (transfer none): the form of @evaluation as JSON, made once per
 * evaluation (evaluations are shared by the requests of one state). The
 * renderer needs each field's source id to offer the search picker; it is
 * schema data, added here. Nobody changes it afterwards. */
JsonNode *
cmdb_page_evaluation_form_node (CmdbPageEvaluation *evaluation)
{
  JsonArray *fields;

  if (evaluation->form_node != NULL)
    return evaluation->form_node;
  evaluation->form_node = cmdb_form_state_to_json (evaluation->form);
  fields = json_object_get_array_member (json_node_get_object (evaluation->form_node), "fields");
  for (guint i = 0; fields != NULL && i < json_array_get_length (fields); i++)
    {
      JsonObject *field = json_array_get_object_element (fields, i);
      const CmdbSchemaElement *element
          = cmdb_schema_lookup (evaluation->schema, json_object_get_string_member (field, "key"));
      if (element != NULL && element->options_source != NULL && element->options == NULL
          && !json_object_has_member (field, "options_source"))
        json_object_set_string_member (field, "options_source", element->options_source);
    }
  return evaluation->form_node;
}

/* (transfer none): cmdb_page_evaluation_command_json() of @evaluation, made once. */
JsonNode *
cmdb_page_evaluation_command_node (CmdbPageEvaluation *evaluation)
{
  if (evaluation->command_node == NULL)
    evaluation->command_node = cmdb_page_evaluation_command_json (evaluation);
  return evaluation->command_node;
}

/* (transfer none): the form and the command of @evaluation as JSON text,
 * serialised once per evaluation. */
const char *
cmdb_page_evaluation_form_text (CmdbPageEvaluation *evaluation)
{
  if (evaluation->form_text == NULL)
    evaluation->form_text = json_to_string (cmdb_page_evaluation_form_node (evaluation), FALSE);
  return evaluation->form_text;
}

const char *
cmdb_page_evaluation_command_text (CmdbPageEvaluation *evaluation)
{
  if (evaluation->command_text == NULL)
    evaluation->command_text
        = json_to_string (cmdb_page_evaluation_command_node (evaluation), FALSE);
  return evaluation->command_text;
}
