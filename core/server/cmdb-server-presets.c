#define G_LOG_DOMAIN "cmdb-server"

/* The presets API (docs/api.md, "Presets"): list a page's presets with
 * what each would change in the current form, save the current form (or
 * given values) as one, delete one. Applying is the page's own change
 * request (POST /api/pages/<id> {changes}) with the preset's `applicable`
 * values, so a preset goes through the same checks as a person's input. */

#include "cmdb-server-resource-private.h"
#include "presets/cmdb-presets-private.h"
#include "session/cmdb-page-session-private.h"

#include <string.h>

/* The values of @page_store as the form shows them: the user's, the rest
 * at their defaults. (transfer full) */
static CmdbFormState *
current_form (CmdbPageSession *session, CmdbPageStore *page_store)
{
  g_autoptr (CmdbFormInput) input = cmdb_form_input_new ();
  g_autoptr (GList) keys = json_object_get_members (page_store->values);

  for (GList *l = keys; l != NULL; l = l->next)
    cmdb_form_input_set (input, l->data,
                         json_node_copy (json_object_get_member (page_store->values, l->data)),
                         TRUE);
  return cmdb_page_session_evaluate (session, input, 0);
}

/* {name, description, values, private, path, applicable, skipped, diff:
 * [{key, current, preset}]} */
static JsonObject *
preset_answer (const CmdbPreset *preset, CmdbSchema *schema, CmdbFormState *form)
{
  JsonObject *object = cmdb_preset_to_json (preset);
  JsonObject *applicable = json_object_new ();
  JsonArray *skipped = json_array_new ();
  JsonArray *diff = json_array_new ();
  g_autoptr (GList) keys = json_object_get_members (preset->values);

  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (preset->values, l->data);
      const CmdbFieldState *field = cmdb_form_state_lookup (form, l->data);

      if (cmdb_schema_lookup (schema, l->data) == NULL)
        {
          json_array_add_string_element (skipped, l->data);
          continue;
        }
      json_object_set_member (applicable, l->data, json_node_copy (value));
      if (field == NULL || field->value == NULL || !json_node_equal (field->value, value))
        {
          JsonObject *change = json_object_new ();

          json_object_set_string_member (change, "key", l->data);
          json_object_set_member (change, "current",
                                  field != NULL && field->value != NULL
                                      ? json_node_copy (field->value)
                                      : json_node_new (JSON_NODE_NULL));
          json_object_set_member (change, "preset", json_node_copy (value));
          json_array_add_object_element (diff, change);
        }
    }
  json_object_set_object_member (object, "applicable", applicable);
  json_object_set_array_member (object, "skipped", skipped);
  json_object_set_array_member (object, "diff", diff);
  return object;
}

static void
presets_list (CmdbServer *server, CmdbContext *context, CmdbPageSession *session,
              SoupServerMessage *msg, const char *page_id)
{
  g_autoptr (GPtrArray) problems
      = g_ptr_array_new_with_free_func ((GDestroyNotify) cmdb_problem_free);
  g_autoptr (GPtrArray) presets = cmdb_presets_list (context, page_id, problems);
  g_autoptr (CmdbFormState) form
      = current_form (session, cmdb_server_get_page_store (server, page_id));
  CmdbSchema *schema = cmdb_page_session_get_schema (session);
  JsonObject *answer = json_object_new ();
  JsonArray *array = json_array_new ();
  JsonArray *problem_array = json_array_new ();
  g_autoptr (JsonNode) node = NULL;

  for (guint i = 0; i < presets->len; i++)
    json_array_add_object_element (array,
                                   preset_answer (g_ptr_array_index (presets, i), schema, form));
  for (guint i = 0; i < problems->len; i++)
    json_array_add_string_element (problem_array,
                                   ((CmdbProblem *) g_ptr_array_index (problems, i))->message);
  json_object_set_array_member (answer, "presets", array);
  json_object_set_array_member (answer, "problems", problem_array);
  node = json_node_init_object (json_node_alloc (), answer);
  json_object_unref (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* POST {name, description, private, values}: values absent saves what the
 * user set in the form. */
static void
presets_save (CmdbServer *server, CmdbContext *context, CmdbPageSession *session,
              SoupServerMessage *msg, const char *page_id)
{
  g_autoptr (JsonObject) request = cmdb_server_request_json_object (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbPreset) preset = NULL;
  g_autofree char *path = NULL;
  CmdbSchema *schema = cmdb_page_session_get_schema (session);
  JsonNode *values_node;
  JsonObject *values;
  const char *name, *description;
  gboolean is_private;

  if (request == NULL)
    return;
  name = json_object_get_string_member_with_default (request, "name", NULL);
  description = json_object_get_string_member_with_default (request, "description", "");
  is_private = json_object_get_boolean_member_with_default (request, "private", FALSE);
  if (!cmdb_preset_check_name (name, &error))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
      return;
    }
  values_node = json_object_get_member (request, "values");
  if (values_node != NULL && !JSON_NODE_HOLDS_OBJECT (values_node))
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST,
                                      "values must map form keys to values");
      return;
    }
  values = values_node != NULL ? json_node_get_object (values_node)
                               : cmdb_server_get_page_store (server, page_id)->values;
  {
    g_autoptr (GList) keys = json_object_get_members (values);

    for (GList *l = keys; l != NULL; l = l->next)
      if (cmdb_schema_lookup (schema, l->data) == NULL)
        {
          g_autofree char *message
              = g_strdup_printf ("page %s has no field %s", page_id, (const char *) l->data);
          cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, message);
          return;
        }
  }
  path = cmdb_preset_save (context, page_id, name, description, values, is_private, &error);
  if (path == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  preset = cmdb_presets_find (context, page_id, name, &error);
  if (preset == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  {
    g_autoptr (CmdbFormState) form
        = current_form (session, cmdb_server_get_page_store (server, page_id));
    JsonObject *answer = preset_answer (preset, schema, form);
    g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), answer);

    json_object_unref (answer);
    cmdb_server_respond_json (msg, SOUP_STATUS_CREATED, node);
  }
}

static void
presets_delete (CmdbContext *context, SoupServerMessage *msg, const char *page_id, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = cmdb_preset_delete (context, page_id, name, &error);
  g_autoptr (JsonNode) node = NULL;
  JsonObject *answer;

  if (path == NULL)
    {
      cmdb_server_respond_json_error (
          msg,
          g_error_matches (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_NOT_FOUND)
              ? SOUP_STATUS_NOT_FOUND
          : g_error_matches (error, CMDB_PRESET_ERROR, CMDB_PRESET_ERROR_INVALID_NAME)
              ? SOUP_STATUS_BAD_REQUEST
              : SOUP_STATUS_INTERNAL_SERVER_ERROR,
          error->message);
      return;
    }
  answer = json_object_new ();
  json_object_set_string_member (answer, "deleted", name);
  json_object_set_string_member (answer, "path", path);
  node = json_node_init_object (json_node_alloc (), answer);
  json_object_unref (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* (transfer full) (nullable): the session of page @page_id; NULL when
 * there is no such page (404) or it cannot be opened (500), already
 * answered. */
static CmdbPageSession *
open_session (CmdbServer *server, SoupServerMessage *msg, const char *page_id)
{
  g_autoptr (GError) error = NULL;
  CmdbPageSession *session;

  if (!cmdb_server_page_known (server, msg, page_id))
    return NULL;
  cmdb_cache_new_generation (cmdb_context_get_cache (server->context));
  session = cmdb_page_session_open (server->host, server->context, page_id, &error);
  if (session == NULL)
    cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
  return session;
}

/* GET /api/pages/<id>/presets */
void
cmdb_server_api_presets_list (CmdbServer *server, SoupServerMessage *msg,
                              const CmdbServerRequest *request)
{
  g_autoptr (CmdbPageSession) session = open_session (server, msg, request->params[0]);

  if (session != NULL)
    presets_list (server, server->context, session, msg, request->params[0]);
}

/* POST /api/pages/<id>/presets */
void
cmdb_server_api_presets_save (CmdbServer *server, SoupServerMessage *msg,
                              const CmdbServerRequest *request)
{
  g_autoptr (CmdbPageSession) session = open_session (server, msg, request->params[0]);

  if (session != NULL)
    presets_save (server, server->context, session, msg, request->params[0]);
}

/* DELETE /api/pages/<id>/presets/<name> */
void
cmdb_server_api_presets_delete (CmdbServer *server, SoupServerMessage *msg,
                                const CmdbServerRequest *request)
{
  g_autoptr (CmdbPageSession) session = open_session (server, msg, request->params[0]);

  if (session != NULL)
    presets_delete (server->context, msg, request->params[0], request->params[1]);
}
