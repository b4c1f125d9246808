#define G_LOG_DOMAIN "cmdb-server"

/* Executors: which ones a run may name (GET /api/executors), the option
 * form of one (GET /api/executors/<id>/form: the form comes from the
 * executor, cmdb_executor_load_options_form, evaluated like a page's), and
 * what one finds wrong with given options before any run exists (POST
 * /api/executors/<id>/check, _async: the executor may ask the cluster). */

#include "cmdb-server-resource-private.h"
#include "cmdb-server-deferred-private.h"

#include <string.h>

/* How long an executor form's options_command may take. */
#define FORM_COMMAND_TIMEOUT_MS 5000

/* Whether @id is an executor a run may name: local, or an enabled
 * executor plugin (from its record: nothing is loaded here). */
gboolean
cmdb_server_executor_is_known (CmdbServer *self, const char *id)
{
  CmdbPluginRecord *record;

  if (g_str_equal (id, "local"))
    return TRUE;
  record = self->host != NULL ? cmdb_host_lookup (self->host, id) : NULL;
  return record != NULL && record->kind == CMDB_PLUGIN_KIND_EXECUTOR && record->enabled;
}

/* ---- the routes ---- */

/* GET /api/executors: {default, executors: [{id, title, loaded}]}: local
 * and the enabled executor plugins, from their .plugin records (X-Kind):
 * listing maps no module. */
void
cmdb_server_api_executors (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
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
  node = cmdb_server_object_node (answer);
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

void
cmdb_server_api_executor_form (CmdbServer *self, SoupServerMessage *msg,
                               const CmdbServerRequest *request)
{
  const char *id = request->params[0];
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

  if (!cmdb_server_executor_is_known (self, id))
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
      node = cmdb_server_object_node (answer);
      respond_form (msg, node);
      return;
    }
  executor = cmdb_run_store_load_executor (self->run_store, id, &error);
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
      node = cmdb_server_object_node (answer);
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
      node = cmdb_server_object_node (answer);
      cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
    }
  cmdb_server_deferred_finish (deferred);
}

/* POST /api/executors/<id>/check {"options": {KEY: VALUE}}: what the
 * executor finds wrong with each value before any run exists, so the form
 * can say it next to the field: {"executor", "valid", "problems": {KEY:
 * text}} (the local executor, which has no options, names every key). */
void
cmdb_server_api_executor_check (CmdbServer *self, SoupServerMessage *msg,
                                const CmdbServerRequest *request)
{
  const char *id = request->params[0];
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = NULL;
  JsonNode *options;
  CmdbExecutor *executor;
  CmdbServerDeferred *deferred;

  body = cmdb_server_request_json_object (msg);
  if (body == NULL)
    return;
  options = json_object_get_member (body, "options");
  if (options == NULL || !JSON_NODE_HOLDS_OBJECT (options))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "options must be an object {KEY: VALUE}");
      return;
    }
  if (!cmdb_server_executor_is_known (self, id))
    {
      g_autofree char *message = g_strdup_printf ("unknown executor '%s'", id);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  executor = cmdb_run_store_load_executor (self->run_store, id, &error);
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
