#define G_LOG_DOMAIN "cmdb-server"

/* What the plugins provide, apart from pages: their list with their state
 * (GET /api/plugins) and the choices of the option sources that page forms
 * offer, searched and paged (GET /api/options/<source>). */

#include "cmdb-server-resource-private.h"

/* One page of a source's choices by default, and at most. */
#define OPTIONS_DEFAULT_LIMIT 50
#define OPTIONS_MAX_LIMIT 500

/* GET /api/plugins */
void
cmdb_server_api_plugins (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  g_autoptr (JsonNode) node = cmdb_host_plugins_to_json (self->host);

  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}

static guint
query_uint (GHashTable *query, const char *name, guint fallback)
{
  const char *text = query != NULL ? g_hash_table_lookup (query, name) : NULL;
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    return fallback;
  return (guint) value;
}

/* GET /api/options/<source>?q=&offset=&limit= */
void
cmdb_server_api_options (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  const char *source_id = request->params[0];
  GHashTable *query = request->query;
  g_autoptr (GError) error = NULL;
  g_autoptr (CmdbOptionList) list = cmdb_context_get_options (self->context, source_id, &error);
  const char *q = query != NULL ? g_hash_table_lookup (query, "q") : NULL;
  guint offset = query_uint (query, "offset", 0);
  guint limit = MIN (query_uint (query, "limit", OPTIONS_DEFAULT_LIMIT), OPTIONS_MAX_LIMIT);
  guint total = 0;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (JsonObject) answer = json_object_new ();
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = NULL;

  if (list == NULL)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_NOT_FOUND, error->message);
      return;
    }
  if (limit == 0)
    limit = OPTIONS_DEFAULT_LIMIT;
  entries = cmdb_option_list_search (list, q, offset, limit, &total);
  for (guint i = 0; i < entries->len; i++)
    json_array_add_object_element (
        array, cmdb_option_entry_to_json (g_ptr_array_index (entries, i), self->context, FALSE));
  json_object_set_string_member (answer, "source", source_id);
  json_object_set_string_member (answer, "q", q != NULL ? q : "");
  json_object_set_int_member (answer, "offset", offset);
  json_object_set_int_member (answer, "limit", limit);
  json_object_set_int_member (answer, "total", total);
  json_object_set_array_member (answer, "entries", json_array_ref (array));
  node = json_node_init_object (json_node_alloc (), answer);
  cmdb_server_respond_json (msg, SOUP_STATUS_OK, node);
}
