#define G_LOG_DOMAIN "cmdb-server"

/* Who may ask: every request passes here before it is routed. The Host
 * header must name this machine or an allowed host (DNS rebinding); the
 * token printed by `cmdbuilder serve` is exchanged for an HttpOnly
 * SameSite=Strict cookie (?token=T, then a redirect that drops it, or, for
 * a browser opening a page, that page at once, whose first script drops
 * it from the address bar: the first load saves a round trip); then
 * the cookie or an Authorization: Bearer header must carry it; and a
 * state-changing request must come from our own pages (Origin) or carry
 * the Bearer header. The checks themselves are the pure functions of
 * cmdb-server-security.c. */

#include "cmdb-server-resource-private.h"

#include <string.h>

static char *
bearer_token (SoupServerMessage *msg)
{
  const char *authorization = cmdb_server_request_header (msg, "Authorization");

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (authorization + 7));
}

static gboolean
is_authenticated (CmdbServer *self, SoupServerMessage *msg)
{
  g_autofree char *bearer = NULL;
  g_autofree char *cookie = NULL;

  if (self->no_token)
    return TRUE;
  bearer = bearer_token (msg);
  if (bearer != NULL)
    return cmdb_server_token_equal (self->token, bearer);
  cookie
      = cmdb_server_cookie_lookup (cmdb_server_request_header (msg, "Cookie"), self->cookie_name);
  return cmdb_server_token_equal (self->token, cookie);
}

#define TOKEN_IN_ADDRESS "cmdb-token-in-address"

gboolean
cmdb_server_auth_token_in_address (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), TOKEN_IN_ADDRESS) != NULL;
}

/* A browser opening "/" or one of our pages as a document (Fetch Metadata:
 * every current browser sends Sec-Fetch-Dest with a navigation; scripts and
 * older browsers get the redirect). */
static gboolean
is_page_navigation (CmdbServer *self, SoupServerMessage *msg, const char *path)
{
  const char *method = soup_server_message_get_method (msg);

  return (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
         && g_strcmp0 (cmdb_server_request_header (msg, "Sec-Fetch-Dest"), "document") == 0
         && (g_str_equal (path, "/")
             || (strchr (path + 1, '/') == NULL
                 && cmdb_server_lookup_page (self, path + 1) != NULL));
}

typedef enum
{
  NO_TOKEN,    /* no ?token=: the usual checks */
  ANSWERED,    /* refused or redirected */
  PAGE_AT_ONCE /* a page navigation: admitted, the document drops the token */
} Exchange;

/* ?token=T: the token becomes a cookie and the URL loses it. */
static Exchange
exchange_token (CmdbServer *self, SoupServerMessage *msg, const char *path, GHashTable *query)
{
  const char *given = query != NULL ? g_hash_table_lookup (query, "token") : NULL;
  g_autofree char *cookie = NULL;

  if (given == NULL || self->no_token)
    return NO_TOKEN;
  if (!cmdb_server_token_equal (self->token, given))
    {
      cmdb_server_respond_error (
          msg, path, SOUP_STATUS_UNAUTHORIZED, "Wrong token",
          "This token is not the one cmdbuilder serve printed. Open the URL it printed.");
      return ANSWERED;
    }
  /* 30 days: the token is kept across restarts, so is the cookie. */
  cookie = g_strdup_printf ("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict",
                            self->cookie_name, self->token, 30 * 24 * 60 * 60);
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               cookie);
  /* The page itself, no redirect: its document replaces the address
   * before it fetches anything, and Referrer-Policy: no-referrer keeps the
   * token out of every Referer meanwhile. */
  if (is_page_navigation (self, msg, path))
    {
      g_object_set_data (G_OBJECT (msg), TOKEN_IN_ADDRESS, GINT_TO_POINTER (TRUE));
      return PAGE_AT_ONCE;
    }
  /* Only to a page of ours: any other path ("//evil.example", "/\evil")
   * could be read by the browser as another host. */
  cmdb_server_redirect (msg, SOUP_STATUS_FOUND,
                        path[0] == '/' && strchr (path + 1, '/') == NULL
                                && strchr (path + 1, '\\') == NULL
                                && cmdb_server_lookup_page (self, path + 1) != NULL
                            ? path
                            : "/");
  return ANSWERED;
}

/* A state-changing request from elsewhere: a browser always sends Origin
 * with a POST; a script without one must prove itself with the Bearer
 * header, not the cookie. */
static gboolean
is_cross_origin (CmdbServer *self, SoupServerMessage *msg)
{
  const char *origin = cmdb_server_request_header (msg, "Origin");
  g_autofree char *bearer = NULL;

  if (cmdb_server_is_safe_method (soup_server_message_get_method (msg)))
    return FALSE;
  if (origin != NULL)
    return !cmdb_server_origin_matches (origin, cmdb_server_request_header (msg, "Host"));
  bearer = bearer_token (msg);
  return bearer == NULL && !self->no_token;
}

gboolean
cmdb_server_auth_would_admit (CmdbServer *self, SoupServerMessage *msg)
{
  return cmdb_server_host_is_allowed (cmdb_server_request_header (msg, "Host"), self->allowed_hosts)
         && is_authenticated (self, msg) && !is_cross_origin (self, msg);
}

gboolean
cmdb_server_auth_admit (CmdbServer *self, SoupServerMessage *msg, const char *path,
                        GHashTable *query)
{
  const char *host = cmdb_server_request_header (msg, "Host");

  if (!cmdb_server_host_is_allowed (host, self->allowed_hosts))
    {
      cmdb_server_respond_error (
          msg, path, SOUP_STATUS_FORBIDDEN, "Host not allowed",
          "This server answers only to localhost, 127.0.0.1, [::1] and the hosts given "
          "with --allow-host.");
      return FALSE;
    }
  switch (exchange_token (self, msg, path, query))
    {
      case ANSWERED:
        return FALSE;
      case PAGE_AT_ONCE:
        return TRUE; /* a safe method, authenticated by the token itself */
      case NO_TOKEN:
      default:
        break;
    }
  if (!is_authenticated (self, msg))
    {
      cmdb_server_respond_error (
          msg, path, SOUP_STATUS_UNAUTHORIZED, "Token needed",
          "Open the URL that cmdbuilder serve printed (it carries the token), or send "
          "Authorization: Bearer <token>.");
      return FALSE;
    }
  if (is_cross_origin (self, msg))
    {
      cmdb_server_respond_error (msg, path, SOUP_STATUS_FORBIDDEN, "Cross-origin request refused",
                                 "State-changing requests must come from this server's own pages "
                                 "(matching Origin) or carry Authorization: Bearer <token>.");
      return FALSE;
    }
  return TRUE;
}
