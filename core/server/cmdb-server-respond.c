#define G_LOG_DOMAIN "cmdb-server"

/* The server's answers (every one carries the same security headers and
 * is never cached, assets aside) and what handlers read of a request: its
 * headers, its query and its body, refused above a size. */

#include "cmdb-server-resource-private.h"
#include "base/cmdb-json-private.h"

#include <string.h>

/* ---- responses ---- */

void
cmdb_server_set_common_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                cmdb_html_content_security_policy ());
}

void
cmdb_server_respond (SoupServerMessage *msg, guint status, const char *content_type,
                     char *body) /* transfer full */
{
  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, body, strlen (body));
}

void
cmdb_server_respond_bytes (SoupServerMessage *msg, guint status, const char *content_type,
                           GBytes *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (headers, "Content-Type", content_type);
  /* The body holds a reference: nothing is copied. */
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), body);
}

void
cmdb_server_respond_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  cmdb_server_respond (msg, status, "application/json", json_to_string (node, FALSE));
}

void
cmdb_server_respond_json_error (SoupServerMessage *msg, guint status, const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "status");
  json_builder_add_int_value (builder, status);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  cmdb_server_respond_json (msg, status, node);
}

void
cmdb_server_respond_html_message (SoupServerMessage *msg, guint status, const char *title,
                                  const char *message)
{
  cmdb_server_respond (msg, status, "text/html; charset=utf-8",
                       cmdb_html_render_message (title, message));
}

/* An error in the shape the caller reads: JSON under /api/, HTML elsewhere. */
void
cmdb_server_respond_error (SoupServerMessage *msg, const char *path, guint status,
                           const char *title, const char *message)
{
  if (g_str_has_prefix (path, "/api/"))
    cmdb_server_respond_json_error (msg, status, message);
  else
    cmdb_server_respond_html_message (msg, status, title, message);
}

void
cmdb_server_redirect (SoupServerMessage *msg, guint status, const char *location)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  /* A relative Location: the browser resolves it against the Host it used,
   * so the redirect never names another address. */
  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Location", location);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
}

/* ---- request helpers ---- */

const char *
cmdb_server_request_header (SoupServerMessage *msg, const char *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (msg), name);
}

gboolean
cmdb_server_is_safe_method (const char *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
}

/* The request body as a string, or NULL (413 already answered) when it is
 * too large. */
char *
cmdb_server_request_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = NULL;
  gsize length = 0;
  const char *data;

  if (body == NULL || body->length == 0)
    return g_strdup ("");
  if (body->length > CMDB_SERVER_MAX_BODY_BYTES)
    {
      cmdb_server_respond_json_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                      "request body too large");
      return NULL;
    }
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &length);
  return g_strndup (data, length);
}

JsonObject *
cmdb_server_parse_json_object (const char *text, GError **error)
{
  g_autoptr (JsonNode) root = NULL;

  if (text[0] == '\0')
    return json_object_new ();
  root = cmdb_json_parse (text, -1, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_FAILED,
                   "the request body must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* (transfer full) (nullable): the request body as a JSON object; NULL when
 * it is too large (413) or not a JSON object (400), already answered. */
JsonObject *
cmdb_server_request_json_object (SoupServerMessage *msg)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *body = cmdb_server_request_body (msg);
  JsonObject *object;

  if (body == NULL)
    return NULL;
  object = cmdb_server_parse_json_object (body, &error);
  if (object == NULL)
    cmdb_server_respond_json_error (msg, SOUP_STATUS_BAD_REQUEST, error->message);
  return object;
}

const char *
cmdb_server_query_get (GHashTable *query, const char *name)
{
  const char *value = query != NULL ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL && value[0] != '\0' ? value : NULL;
}

const char *
cmdb_server_member_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonNode *
cmdb_server_object_node (JsonObject *object)
{
  JsonNode *node = json_node_alloc ();

  json_node_init_object (node, object);
  json_object_unref (object);
  return node;
}
