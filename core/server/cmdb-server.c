#define G_LOG_DOMAIN "cmdb-server"

/* `cmdbuilder serve`: the server's life cycle and the way of a request.
 *
 * Every request goes through handle_request(): admission (Host check,
 * token exchange, authentication, Origin check for state-changing methods;
 * cmdb-server-auth.c), then the routing table (cmdb-server-routes.c) hands
 * it to the file of its resource. Pages are activated only when a request
 * names them (never the sidebar or "/"), so the first visit of a page loads
 * only its plugin and the registries its schema needs. */

#include "cmdb-server-resource-private.h"
#include "cmdb-server-deferred-private.h"
#include "cmdb-server-resources.h"

#include <string.h>

static void
handle_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  CmdbServer *self = user_data;

  /* Each file a request depends on is stat()ed once per request. */
  cmdb_cache_new_generation (cmdb_context_get_cache (self->context));
  if (!cmdb_server_auth_admit (self, msg, path, query))
    return;
  cmdb_server_route (self, msg, path, query);
}

/* ---- life cycle ---- */

CmdbServer *
cmdb_server_new (CmdbContext *context, CmdbHost *host, const CmdbServerOptions *options,
                 GError **error)
{
  CmdbConfig *config = cmdb_context_get_config (context);
  g_autoptr (CmdbServer) self = g_new0 (CmdbServer, 1);
  GPtrArray *configured_hosts = cmdb_config_get_list (config, "server", "allowed-hosts");
  const char *bind
      = options->bind != NULL ? options->bind : cmdb_config_get_string (config, "server", "bind");

  self->context = g_object_ref (context);
  /* A long-lived process: learn of file changes by notification rather
   * than a stat() per dependency per request (docs/cache.md). */
  cmdb_cache_watch_files (
      cmdb_context_get_cache (context),
      (guint) MAX (0, cmdb_config_get_int (config, "cache", "max-watches", 1024)));
  self->host = g_object_ref (host);
  self->bind = g_strdup (bind != NULL ? bind : "127.0.0.1");
  self->requested_port = options->port >= 0
                             ? options->port
                             : (int) cmdb_config_get_int (config, "server", "port", 8501);
  self->no_token = options->no_token;
  self->allowed_hosts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; configured_hosts != NULL && i < configured_hosts->len; i++)
    g_ptr_array_add (self->allowed_hosts, g_strdup (g_ptr_array_index (configured_hosts, i)));
  for (guint i = 0; options->allowed_hosts != NULL && i < options->allowed_hosts->len; i++)
    g_ptr_array_add (self->allowed_hosts, g_strdup (g_ptr_array_index (options->allowed_hosts, i)));
  self->saving = g_ptr_array_new ();
  self->stores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) cmdb_page_store_unref);
  /* The kept token, so a restart keeps bookmarks and cookies valid; a
   * state directory that cannot hold it gives a token for this run only. */
  {
    g_autoptr (GError) token_error = NULL;

    if (!self->no_token)
      self->token = cmdb_server_access_token (cmdb_context_get_state_dir (context),
                                              options->new_token, &token_error);
    if (self->token == NULL)
      {
        if (token_error != NULL)
          g_warning ("the access token is not kept (a restart changes it): %s",
                     token_error->message);
        self->token = cmdb_server_token_new ();
      }
  }
  /* Referencing the resource keeps its object file (and the constructor
   * that registers the assets) in the link from the static library. */
  g_assert (cmdb_server_get_resource () != NULL);
  self->run_store = cmdb_run_store_new (context);
  /* Executor plugins (Slurm) load through the host when a run names them. */
  cmdb_run_store_set_host (self->run_store, host);
  /* Listings and loads answer from what executors last found; the server
   * asks them in the background. */
  cmdb_run_store_set_background_updates (self->run_store, TRUE);
  /* Ended runs stay in memory while their files say nothing changed, so
   * open event streams do not read the history every second. */
  cmdb_run_store_keep_history (self->run_store);
  self->run_updates = cmdb_server_run_updates_new (self->run_store);
  self->deferred = g_ptr_array_new ();
  self->events = cmdb_server_events_new (self);
  cmdb_server_sweeps_start (self);

  if (self->requested_port < 0 || self->requested_port > 65535)
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_LISTEN, "port %d is out of range",
                   self->requested_port);
      return NULL;
    }
  if (self->no_token && !cmdb_server_bind_is_loopback (self->bind))
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_UNSAFE_BIND,
                   "--no-token is allowed only on a loopback address (127.0.0.1, ::1, localhost), "
                   "not on %s: anyone who can reach it could run commands",
                   self->bind);
      return NULL;
    }
  return g_steal_pointer (&self);
}

static gboolean
any_store_saving (CmdbServer *self)
{
  GHashTableIter iter;
  gpointer store;

  if (self->stores == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, self->stores);
  while (g_hash_table_iter_next (&iter, NULL, &store))
    if (cmdb_page_store_is_saving (store))
      return TRUE;
  return FALSE;
}

typedef struct
{
  CmdbServer *server;
  gint64 deadline;
  GSourceFunc done;
  gpointer done_data;
} SavedWait;

static gboolean
saved_wait_poll (gpointer user_data)
{
  SavedWait *wait = user_data;
  CmdbServer *self = wait->server;

  if ((any_store_saving (self) || self->saving->len > 0)
      && g_get_monotonic_time () < wait->deadline)
    return G_SOURCE_CONTINUE;
  wait->done (wait->done_data);
  return G_SOURCE_REMOVE;
}

void
cmdb_server_when_saved (CmdbServer *self, GSourceFunc done, gpointer done_data)
{
  SavedWait *wait = g_new0 (SavedWait, 1);

  wait->server = self;
  wait->deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  wait->done = done;
  wait->done_data = done_data;
  /* Polled on the serving loop (saves finish there): no nested loop. */
  g_timeout_add_full (G_PRIORITY_DEFAULT, 10, saved_wait_poll, wait, g_free);
}

void
cmdb_server_free (CmdbServer *self)
{
  if (self == NULL)
    return;
  if (self->saving != NULL)
    cmdb_server_deferred_cancel_all (self->saving);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_pointer (&self->guard, cmdb_connection_guard_free);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->events, cmdb_server_events_free);
  cmdb_server_sweeps_stop (self);
  g_clear_pointer (&self->run_updates, cmdb_server_run_updates_free);
  if (self->deferred != NULL)
    cmdb_server_deferred_cancel_all (self->deferred);
  g_clear_pointer (&self->deferred, g_ptr_array_unref);
  g_clear_object (&self->run_store);
  if (self->stores != NULL && self->context != NULL)
    cmdb_server_forget_page_views (self);
  g_clear_object (&self->context);
  g_clear_object (&self->host);
  g_free (self->bind);
  g_clear_pointer (&self->allowed_hosts, g_ptr_array_unref);
  g_clear_pointer (&self->stores, g_hash_table_unref);
  g_clear_pointer (&self->saving, g_ptr_array_unref);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->cookie_name);
  g_free (self->shown_page);
  g_free (self);
}

static void
ensure_soup (CmdbServer *self)
{
  if (self->soup != NULL)
    return;
  self->soup = soup_server_new ("server-header", "cmdbuilder", NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  cmdb_server_files_watch_uploads (self, handle_request);
}

SoupServer *
cmdb_server_get_soup (CmdbServer *self)
{
  ensure_soup (self);
  return self->soup;
}

gboolean
cmdb_server_accept_stream (CmdbServer *self, GIOStream *stream, GError **error)
{
  g_autoptr (GSocketAddress) local = g_inet_socket_address_new_from_string ("127.0.0.1", 8501);
  g_autoptr (GSocketAddress) remote = g_inet_socket_address_new_from_string ("127.0.0.1", 40000);

  ensure_soup (self);
  if (self->cookie_name == NULL)
    self->cookie_name = g_strdup ("cmdbuilder-token-stream");
  return soup_server_accept_iostream (self->soup, stream, local, remote, error);
}

gboolean
cmdb_server_listen (CmdbServer *self, GError **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  const char *bind = g_ascii_strcasecmp (self->bind, "localhost") == 0 ? "127.0.0.1" : self->bind;
  CmdbConfig *config = cmdb_context_get_config (self->context);
  gint64 max_connections = cmdb_config_get_int (config, "server", "max-connections", 0);
  gint64 idle_ms = cmdb_config_get_duration_ms (config, "server", "idle-timeout", 0);
  gint64 request_ms = cmdb_config_get_duration_ms (config, "server", "request-timeout", 0);
  gint64 max_upload
      = cmdb_config_get_int (config, "server", "max-upload", CMDB_SERVER_DEFAULT_MAX_UPLOAD);
  /* 0 (or nonsense) leaves the guard's default; times round up to seconds. */
  CmdbConnectionLimits limits = {
    .max_connections = (guint) CLAMP (max_connections, 0, G_MAXINT),
    .idle_timeout = (guint) CLAMP ((idle_ms + 999) / 1000, 0, G_MAXINT),
    .request_timeout = (guint) CLAMP ((request_ms + 999) / 1000, 0, G_MAXINT),
    .max_body_bytes = CMDB_SERVER_MAX_BODY_BYTES,
    .upload_path = CMDB_SERVER_UPLOAD_PATH,
    .max_upload_bytes = (guint64) CLAMP (max_upload, 1, G_MAXINT64),
  };

  address = g_inet_socket_address_new_from_string (bind, (guint) self->requested_port);
  if (address == NULL)
    {
      g_set_error (error, CMDB_SERVER_ERROR, CMDB_SERVER_ERROR_LISTEN,
                   "cannot listen on %s: not a numeric IPv4 or IPv6 address", self->bind);
      return FALSE;
    }
  ensure_soup (self);
  /* Our own listener: libsoup's has no limits (see cmdb-connection-guard.c). */
  self->guard = cmdb_connection_guard_new (self->soup, &limits);
  if (!cmdb_connection_guard_listen (self->guard, address, error))
    {
      g_prefix_error (error, "cannot listen on %s port %d: ", self->bind, self->requested_port);
      if (*error != NULL)
        (*error)->domain = CMDB_SERVER_ERROR, (*error)->code = CMDB_SERVER_ERROR_LISTEN;
      return FALSE;
    }
  self->port = cmdb_connection_guard_get_port (self->guard);
  g_debug ("listening on port %u, at most %u connections", self->port,
           cmdb_connection_guard_get_max_connections (self->guard));
  /* Cookies ignore ports: one name per port keeps two servers apart. */
  self->cookie_name = g_strdup_printf ("cmdbuilder-token-%u", self->port);
  return TRUE;
}

char *
cmdb_server_get_start_url (CmdbServer *self)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (self->bind);
  g_autofree char *host = NULL;

  if (inet == NULL || g_inet_address_get_is_any (inet))
    host = g_strdup ("127.0.0.1");
  else if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    host = g_strdup_printf ("[%s]", self->bind);
  else
    host = g_strdup (self->bind);
  if (self->no_token)
    return g_strdup_printf ("http://%s:%u/", host, self->port);
  return g_strdup_printf ("http://%s:%u/?token=%s", host, self->port, self->token);
}

const char *
cmdb_server_get_token (CmdbServer *self)
{
  return self->token;
}
