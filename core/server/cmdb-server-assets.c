#define G_LOG_DOMAIN "cmdb-server"

/* The static files of the web UI, embedded as a GResource (nothing is
 * fetched from elsewhere): cached for good under their hashed address. */

#include "cmdb-server-resource-private.h"

#include <string.h>

#define RESOURCE_PREFIX "/org/cmdbuilder/server/assets/"

static const char *
asset_content_type (const char *name)
{
  if (g_str_has_suffix (name, ".css"))
    return "text/css; charset=utf-8";
  if (g_str_has_suffix (name, ".js"))
    return "text/javascript; charset=utf-8";
  if (g_str_has_suffix (name, ".svg"))
    return "image/svg+xml";
  return "application/octet-stream";
}

/* Answers with the embedded asset @name, kept by the browser as
 * @cache_control says; 404 when there is none. */
static void
respond_asset (SoupServerMessage *msg, const char *name, const char *cache_control)
{
  const char *if_none_match = cmdb_server_request_header (msg, "If-None-Match");
  g_autofree char *etag = NULL;
  g_autofree char *resource = NULL;
  g_autoptr (GBytes) bytes = NULL;

  if (name[0] == '\0' || strchr (name, '/') != NULL || name[0] == '.')
    {
      cmdb_server_respond_html_message (msg, SOUP_STATUS_NOT_FOUND, "Not found", "No such asset.");
      return;
    }
  resource = g_strconcat (RESOURCE_PREFIX, name, NULL);
  bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    {
      cmdb_server_respond_html_message (msg, SOUP_STATUS_NOT_FOUND, "Not found", "No such asset.");
      return;
    }
  cmdb_server_set_common_headers (msg);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control",
                                cache_control);
  /* A strong validator for the addresses without the hash (and for a
   * reload): the hash of every embedded asset, so any asset edit changes
   * it. A match costs no body. */
  etag = g_strdup_printf ("\"%s\"", cmdb_html_asset_version ());
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "ETag", etag);
  /* If-None-Match may list several tags: ours is quoted hex, found as is. */
  if (if_none_match != NULL
      && (strstr (if_none_match, etag) != NULL || g_str_equal (if_none_match, "*")))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, asset_content_type (name), SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* GET /assets/<name>: the embedded stylesheet, scripts and icons. */
void
cmdb_server_serve_asset (CmdbServer *self, SoupServerMessage *msg, const CmdbServerRequest *request)
{
  const char *version = request->query != NULL ? g_hash_table_lookup (request->query, "v") : NULL;

  /* Assets change only with the executable. The pages link them with their
   * hash (?v=), and such an address always means the same bytes: the
   * browser keeps them, and the first visit of each page fetches nothing
   * but the page. Any other address is revalidated. */
  respond_asset (msg, request->params[0],
                 g_strcmp0 (version, cmdb_html_asset_version ()) == 0
                     ? "private, max-age=31536000, immutable"
                     : "no-cache");
}

/* GET /favicon.ico: the embedded icon.svg, for clients that ask there
 * (pages link /assets/icon.svg?v=<hash>). This address carries no hash,
 * so it is kept for a day, not for good. */
void
cmdb_server_serve_favicon (CmdbServer *self, SoupServerMessage *msg,
                           const CmdbServerRequest *request)
{
  respond_asset (msg, "icon.svg", "private, max-age=86400");
}
