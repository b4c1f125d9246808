#define G_LOG_DOMAIN "cmdb-server"

/* Page actions: what a page offers beyond its command (Predict's
 * submission export), listed and run through the page's _async method, so
 * an action that waits on a process never blocks the server; the result is
 * data, and the core renders the panel a page names. */

#include "cmdb-server-resource-private.h"
#include "cmdb-server-deferred-private.h"

/* (transfer none) (nullable): page @page_id activated; NULL when there is
 * no such page (404) or it cannot be activated (500), already answered. */
static CmdbPage *
activate (CmdbServer *self, SoupServerMessage *msg, const char *page_id)
{
  g_autoptr (GError) error = NULL;
  CmdbPage *page;

  if (!cmdb_server_page_known (self, msg, page_id))
    return NULL;
  page = cmdb_server_activate_page (self, page_id, &error);
  if (page == NULL)
    cmdb_server_respond_json_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
  return page;
}

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
      node = cmdb_server_object_node (result);
      cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
    }
  cmdb_server_deferred_finish (deferred);
}

/* GET /api/pages/<id>/actions: {page, actions: [id...]} */
void
cmdb_server_api_actions_list (CmdbServer *self, SoupServerMessage *msg,
                              const CmdbServerRequest *request)
{
  const char *page_id = request->params[0];
  g_autoptr (GPtrArray) actions = NULL;
  JsonObject *answer;
  JsonArray *array;
  g_autoptr (JsonNode) node = NULL;
  CmdbPage *page = activate (self, msg, page_id);

  if (page == NULL)
    return;
  actions = cmdb_page_list_actions (page);
  answer = json_object_new ();
  array = json_array_new ();
  for (guint i = 0; i < actions->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (actions, i));
  json_object_set_string_member (answer, "page", page_id);
  json_object_set_array_member (answer, "actions", array);
  node = cmdb_server_object_node (answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

/* POST /api/pages/<id>/actions/<action> {params}: the action's result
 * (JSON), answered when it completes. */
void
cmdb_server_api_action_run (CmdbServer *self, SoupServerMessage *msg,
                            const CmdbServerRequest *request)
{
  const char *page_id = request->params[0];
  const char *action_id = request->params[1];
  g_autoptr (GPtrArray) actions = NULL;
  g_autoptr (JsonObject) params = NULL;
  g_autoptr (JsonNode) run = NULL;
  CmdbServerDeferred *deferred;
  gboolean known = FALSE;
  CmdbPage *page = activate (self, msg, page_id);

  if (page == NULL)
    return;
  actions = cmdb_page_list_actions (page);
  for (guint i = 0; i < actions->len; i++)
    known = known || g_str_equal (g_ptr_array_index (actions, i), action_id);
  if (!known)
    {
      g_autofree char *message = g_strdup_printf ("page %s has no action %s", page_id, action_id);
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  params = cmdb_server_request_json_object (msg);
  if (params == NULL)
    return;
  /* The page's last run (its exp_name) lets an action pick what it made. */
  run = cmdb_server_runs_last_run_json (self, cmdb_server_get_page_store (self, page_id));
  if (run != NULL && !json_object_has_member (params, "last_run"))
    json_object_set_object_member (params, "last_run",
                                   json_object_ref (json_node_get_object (run)));
  /* An action may wait on a process (Predict's converter): answered
   * when it completes, cancelled when the client goes away. */
  deferred = cmdb_server_deferred_new (msg, self, self->deferred, NULL, NULL);
  cmdb_page_run_action_async (page, self->context, action_id, params,
                              cmdb_server_deferred_get_cancellable (deferred), on_action_done,
                              deferred);
}
