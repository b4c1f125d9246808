#define G_LOG_DOMAIN "cmdb-server"

/* The connection guard: our own listening socket, connections handed to
 * libsoup, and the limits libsoup does not have.
 *
 * Each connection is in one of four states:
 *   WAITING   libsoup waits for a request (idle when no byte has come yet,
 *             receiving the request head once one has)
 *   BODY      the head is in, libsoup reads the body
 *   HANDLING  the request is being answered (this includes event streams
 *             and requests paused while their state is saved): exempt from
 *             every time limit, but counted
 *   CLOSING   we answered an error and drain what the client still sends,
 *             so closing does not reset the connection before the client
 *             read the answer
 * A sweep once a second closes idle connections after idle_timeout and
 * requests that are not in after request_timeout. When the cap or the file
 * descriptor limit is reached, the connection that has waited longest
 * without being answered is closed to make room ("oldest first"), so a new
 * request is still served; answered connections (HANDLING) are never
 * closed for room.
 *
 * Closing a connection libsoup holds is a shutdown() of its socket: libsoup
 * reads end-of-file, gives up on the connection and closes our stream,
 * which is when the descriptor is really closed. Errors we answer
 * ourselves (a head over 64 KiB, a hostile Content-Length) work the same
 * way: the next read libsoup makes fails, it closes the stream, and the
 * guard writes the answer on the socket before closing it. */

#include "cmdb-connection-guard.h"
#include "cmdb-guard-stream.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define DEFAULT_MAX_CONNECTIONS 512
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_REQUEST_TIMEOUT 30
#define DEFAULT_MAX_BODY_BYTES (1024 * 1024)
/* File descriptors kept for everything but connections: state and run
 * files, supervisor pipes, plugin modules, the cache's directory scans. */
#define FD_RESERVE 64
#define LISTEN_BACKLOG 1024
/* How long an answered error drains the client before the socket closes. */
#define LINGER_USEC (2 * G_USEC_PER_SEC)
/* RFC 6585; libsoup 3.2 has no name for it. */
#define HEADER_FIELDS_TOO_LARGE 431
/* How long accepting pauses after accept() failed. */
#define ACCEPT_PAUSE_MS 20
/* accept() failures are logged at most once in this many microseconds. */
#define LOG_INTERVAL_USEC (10 * G_USEC_PER_SEC)

typedef enum
{
  CONN_WAITING,
  CONN_BODY,
  CONN_HANDLING,
  CONN_CLOSING,
} ConnState;

typedef struct
{
  CmdbConnectionGuard *guard;
  GList link; /* in guard->connections, accept order */
  GSocketConnection *connection;
  GSocket *socket;        /* (unowned) the connection's */
  GInputStream *input;    /* our CmdbGuardStream */
  GIOStream *stream;      /* what libsoup holds: input + the socket's output */
  GSocketAddress *remote; /* the key libsoup hands back with each message */
  ConnState state;
  gint64 since;           /* monotonic: when the state began, or the request's first byte */
  gboolean got_bytes;     /* WAITING: a byte of the next request has come */
  gsize head_bytes;       /* WAITING: bytes of the request head so far */
  guint head_match;       /* WAITING: how much of "\r\n\r\n" ends what came */
  gboolean head_done;     /* WAITING: the head's end went past */
  guint64 body_bytes;     /* BODY */
  guint64 max_body_bytes; /* BODY: the limit of this request's path */
  gboolean handed;        /* libsoup holds it (its stream is not closed yet) */
  gboolean shut;          /* shutdown() sent; waiting for libsoup to close */
  guint reject_status;    /* answer this when libsoup lets go (0: none) */
  const char *reject_text;
  GSource *drain_source; /* CLOSING */
} Connection;

struct _CmdbConnectionGuard
{
  SoupServer *soup;
  CmdbConnectionLimits limits;
  guint max_connections;
  GSocket *listener;
  guint port;
  GSource *accept_source;
  guint resume_id;
  guint sweep_id;
  GQueue connections;    /* Connection, accept order */
  GHashTable *by_remote; /* GSocketAddress * -> Connection * (handed ones) */
  gint64 last_log;
  gulong signal_ids[4];
};

static void connection_finish (Connection *conn);

/* ---- file descriptors ---- */

static rlim_t
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 1024;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_cur < limit.rlim_max)
    {
      rlim_t wanted = limit.rlim_max;
      limit.rlim_cur = wanted;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        getrlimit (RLIMIT_NOFILE, &limit);
    }
  return limit.rlim_cur;
}

/* TRUE when a log line may be written now (at most one per interval). */
static gboolean
may_log (CmdbConnectionGuard *guard)
{
  gint64 now = g_get_monotonic_time ();

  if (guard->last_log != 0 && now - guard->last_log < LOG_INTERVAL_USEC)
    return FALSE;
  guard->last_log = now;
  return TRUE;
}

/* ---- answering errors ourselves ---- */

static const char *
reason_phrase (guint status)
{
  return status == HEADER_FIELDS_TOO_LARGE ? "Request Header Fields Too Large"
                                           : soup_status_get_phrase (status);
}

static gboolean
drain_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Connection *conn = user_data;
  char scratch[4096];
  gssize got;

  got = g_socket_receive_with_blocking (socket, scratch, sizeof scratch, FALSE, NULL, NULL);
  if (got > 0)
    return G_SOURCE_CONTINUE;
  if (got < 0 && g_socket_condition_check (socket, G_IO_IN) == 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&conn->drain_source, g_source_unref);
  connection_finish (conn);
  return G_SOURCE_REMOVE;
}

/* Writes the error answer (a few hundred bytes: the socket buffer takes it
 * whole), ends our side, and drains the client until it closes or
 * LINGER_USEC has passed (see the sweep). */
static void
answer_and_linger (Connection *conn)
{
  g_autofree char *response = NULL;
  const char *text = conn->reject_text != NULL ? conn->reject_text : "";

  response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Length: %zu\r\n"
                              "Connection: close\r\n"
                              "Cache-Control: no-store\r\n"
                              "X-Content-Type-Options: nosniff\r\n"
                              "\r\n%s",
                              conn->reject_status, reason_phrase (conn->reject_status),
                              strlen (text), text);
  g_socket_send_with_blocking (conn->socket, response, strlen (response), FALSE, NULL, NULL);
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  conn->state = CONN_CLOSING;
  conn->since = g_get_monotonic_time ();
  conn->drain_source = g_socket_create_source (conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->drain_source, (GSourceFunc) (void (*) (void)) drain_ready, conn,
                         NULL);
  g_source_attach (conn->drain_source, NULL);
}

/* Marks @conn to be answered @status once libsoup lets go of it; the read
 * libsoup makes next fails. */
static void
reject (Connection *conn, guint status, const char *text)
{
  if (conn->reject_status == 0)
    {
      conn->reject_status = status;
      conn->reject_text = text;
    }
}

/* ---- one connection ---- */

/* Closes the socket and forgets @conn. */
static void
connection_finish (Connection *conn)
{
  CmdbConnectionGuard *guard = conn->guard;

  if (conn->drain_source != NULL)
    {
      g_source_destroy (conn->drain_source);
      g_clear_pointer (&conn->drain_source, g_source_unref);
    }
  if (conn->handed)
    g_hash_table_remove (guard->by_remote, conn->remote);
  cmdb_guard_stream_detach (CMDB_GUARD_STREAM (conn->input));
  g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  g_queue_unlink (&guard->connections, &conn->link);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->input);
  g_clear_object (&conn->connection);
  g_clear_object (&conn->remote);
  g_free (conn);
}

/* Asks libsoup to let go of @conn (it reads end-of-file). */
static void
connection_shut (Connection *conn)
{
  if (conn->state == CONN_CLOSING)
    {
      connection_finish (conn);
      return;
    }
  if (conn->shut)
    return;
  conn->shut = TRUE;
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

static void
start_waiting (Connection *conn)
{
  conn->state = CONN_WAITING;
  conn->since = g_get_monotonic_time ();
  conn->got_bytes = FALSE;
  conn->head_bytes = 0;
  conn->head_match = 0;
  conn->head_done = FALSE;
  conn->body_bytes = 0;
}

static gboolean
stream_before_read (gpointer user_data, GError **error)
{
  Connection *conn = user_data;

  if (conn->reject_status == 0)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "request refused (%u)",
               conn->reject_status);
  return FALSE;
}

/* Follows the request head to its blank line, so bytes of the body read in
 * the same chunk are not counted as head. */
static void
scan_head (Connection *conn, const guint8 *data, gsize count)
{
  static const char terminator[] = "\r\n\r\n";

  for (gsize i = 0; i < count && !conn->head_done; i++)
    {
      conn->head_bytes++;
      if (data[i] == (guint8) terminator[conn->head_match])
        conn->head_match++;
      else
        conn->head_match = data[i] == '\r' ? 1 : 0;
      if (conn->head_match == 4)
        conn->head_done = TRUE;
    }
}

static gboolean
stream_after_read (gpointer user_data, const guint8 *data, gsize count, GError **error)
{
  Connection *conn = user_data;

  switch (conn->state)
    {
      case CONN_WAITING:
        if (!conn->got_bytes)
          {
            conn->got_bytes = TRUE;
            conn->since = g_get_monotonic_time ();
          }
        scan_head (conn, data, count);
        if (!conn->head_done && conn->head_bytes >= CMDB_MAX_REQUEST_HEAD_BYTES)
          reject (conn, HEADER_FIELDS_TOO_LARGE, "The request line and headers are over 64 KiB.\n");
        break;
      case CONN_BODY:
        conn->body_bytes += count;
        /* A chunked body has no Content-Length to check up front. */
        if (conn->body_bytes > conn->max_body_bytes + CMDB_MAX_REQUEST_HEAD_BYTES)
          reject (conn, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "The request body is too large.\n");
        break;
      case CONN_HANDLING:
      case CONN_CLOSING:
        break;
    }
  return stream_before_read (user_data, error);
}

static void
stream_closed (gpointer user_data)
{
  Connection *conn = user_data;

  g_hash_table_remove (conn->guard->by_remote, conn->remote);
  conn->handed = FALSE;
  if (conn->reject_status != 0 && !conn->shut)
    answer_and_linger (conn);
  else
    connection_finish (conn);
}

static const CmdbGuardStreamHooks stream_hooks = {
  .after_read = stream_after_read,
  .before_read = stream_before_read,
  .closed = stream_closed,
};

/* ---- making room ---- */

/* The connection to close for room: one already answered with an error
 * first, then the one waiting longest (idle or still sending its request);
 * never one being answered. */
static Connection *
pick_victim (CmdbConnectionGuard *guard)
{
  Connection *best = NULL;

  for (GList *l = guard->connections.head; l != NULL; l = l->next)
    {
      Connection *conn = l->data;

      if (conn->state == CONN_CLOSING)
        return conn;
      if (conn->shut || conn->state == CONN_HANDLING)
        continue;
      if (best == NULL || conn->since < best->since)
        best = conn;
    }
  return best;
}

static gboolean
make_room (CmdbConnectionGuard *guard)
{
  Connection *victim = pick_victim (guard);

  if (victim == NULL)
    return FALSE;
  g_debug ("closing the connection waiting longest to make room (%u open)",
           guard->connections.length);
  connection_shut (victim);
  return TRUE;
}

/* Connections libsoup has not closed yet after a shutdown still hold a
 * descriptor; they are counted until then. */
static guint
live_connections (CmdbConnectionGuard *guard)
{
  return guard->connections.length;
}

/* ---- the sweep ---- */

static gboolean
sweep (gpointer user_data)
{
  CmdbConnectionGuard *guard = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 idle = (gint64) guard->limits.idle_timeout * G_USEC_PER_SEC;
  gint64 request = (gint64) guard->limits.request_timeout * G_USEC_PER_SEC;
  GList *l = guard->connections.head;

  while (l != NULL)
    {
      Connection *conn = l->data;
      gint64 age = now - conn->since;

      l = l->next;
      if (conn->state == CONN_CLOSING)
        {
          if (age > LINGER_USEC)
            connection_finish (conn);
          continue;
        }
      if (conn->shut || conn->state == CONN_HANDLING)
        continue;
      if (conn->state == CONN_WAITING && !conn->got_bytes ? age > idle : age > request)
        {
          g_debug ("closing a connection: %s", conn->got_bytes || conn->state == CONN_BODY
                                                   ? "its request did not arrive in time"
                                                   : "idle too long");
          connection_shut (conn);
        }
    }
  if (guard->connections.length == 0)
    {
      guard->sweep_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
ensure_sweep (CmdbConnectionGuard *guard)
{
  if (guard->sweep_id == 0)
    guard->sweep_id = g_timeout_add_seconds (1, sweep, guard);
}

/* ---- libsoup's view of each request ---- */

static Connection *
connection_of (CmdbConnectionGuard *guard, SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_hash_table_lookup (guard->by_remote, remote) : NULL;
}

static void
on_request_started (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  Connection *conn = connection_of (user_data, msg);

  if (conn != NULL && conn->state != CONN_CLOSING)
    start_waiting (conn);
}

static void
on_request_read (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  Connection *conn = connection_of (user_data, msg);

  if (conn != NULL && conn->state != CONN_CLOSING)
    {
      conn->state = CONN_HANDLING;
      conn->since = g_get_monotonic_time ();
    }
}

static void
on_request_done (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  Connection *conn = connection_of (user_data, msg);

  if (conn != NULL && conn->state == CONN_HANDLING)
    start_waiting (conn);
}

/* The head is in: the body's declared size is checked before a byte of it
 * is read. libsoup would otherwise wait for all of a Content-Length of
 * 1000000000, or treat "-1" as a length it cannot reach. */
static void
on_got_headers (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                gpointer user_data)
{
  cmdb_connection_guard_got_headers (user_data, msg, path);
}

void
cmdb_connection_guard_got_headers (CmdbConnectionGuard *guard, SoupServerMessage *msg,
                                   const char *path)
{
  Connection *conn = connection_of (guard, msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *declared = soup_message_headers_get_one (headers, "Content-Length");

  if (conn == NULL || conn->state == CONN_CLOSING)
    return;
  conn->state = CONN_BODY;
  conn->body_bytes = 0;
  /* The upload route has its own limit; its handler streams the body. */
  conn->max_body_bytes
      = guard->limits.upload_path != NULL && g_str_equal (path, guard->limits.upload_path)
            ? guard->limits.max_upload_bytes
            : guard->limits.max_body_bytes;
  if (!conn->got_bytes)
    conn->since = g_get_monotonic_time ();
  if (declared != NULL
      && soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      const char *p = declared;
      guint64 length = 0;
      gboolean valid = *p != '\0';

      for (; *p != '\0' && valid; p++)
        {
          if (!g_ascii_isdigit (*p) || length > G_MAXUINT64 / 10 - 1)
            valid = FALSE;
          else
            length = length * 10 + (guint64) (*p - '0');
        }
      if (!valid)
        reject (conn, SOUP_STATUS_BAD_REQUEST, "Content-Length is not a number of bytes.\n");
      else if (length > conn->max_body_bytes)
        reject (conn, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "The request body is too large.\n");
    }
}

/* ---- accepting ---- */

static void adopt (CmdbConnectionGuard *guard, GSocket *socket);
static void watch_listener (CmdbConnectionGuard *guard);

static gboolean
resume_accepting (gpointer user_data)
{
  CmdbConnectionGuard *guard = user_data;

  guard->resume_id = 0;
  watch_listener (guard);
  return G_SOURCE_REMOVE;
}

/* Stops watching the listener for a moment: the descriptors freed by the
 * connections just shut down come back only when libsoup closes them. */
static void
pause_accepting (CmdbConnectionGuard *guard)
{
  if (guard->accept_source != NULL)
    {
      g_source_destroy (guard->accept_source);
      g_clear_pointer (&guard->accept_source, g_source_unref);
    }
  if (guard->resume_id == 0)
    guard->resume_id = g_timeout_add (ACCEPT_PAUSE_MS, resume_accepting, guard);
}

static gboolean
on_incoming (GSocket *listener, GIOCondition condition, gpointer user_data)
{
  CmdbConnectionGuard *guard = user_data;

  /* A bounded batch, so a flood cannot hold the main loop. */
  for (guint i = 0; i < 64; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) socket = g_socket_accept (listener, NULL, &error);

      if (socket != NULL)
        {
          adopt (guard, socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
        {
          if (may_log (guard))
            g_warning ("out of file descriptors accepting a connection (%s); closing the "
                       "connection waiting longest",
                       error->message);
          make_room (guard);
        }
      else if (may_log (guard))
        g_warning ("accepting a connection failed: %s; retrying", error->message);
      pause_accepting (guard);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
watch_listener (CmdbConnectionGuard *guard)
{
  if (guard->accept_source != NULL || guard->listener == NULL)
    return;
  guard->accept_source = g_socket_create_source (guard->listener, G_IO_IN, NULL);
  g_source_set_callback (guard->accept_source, (GSourceFunc) (void (*) (void)) on_incoming, guard,
                         NULL);
  g_source_attach (guard->accept_source, NULL);
}

static void
adopt (CmdbConnectionGuard *guard, GSocket *socket)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr (GSocketAddress) remote = NULL;
  Connection *conn;

  if (live_connections (guard) >= guard->max_connections && !make_room (guard))
    {
      /* Everything is being answered (event streams): this one waits for
       * nothing, it is told to come back. */
      const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                          "Connection: close\r\nRetry-After: 1\r\n\r\n";
      g_socket_send_with_blocking (socket, busy, sizeof busy - 1, FALSE, NULL, NULL);
      g_socket_close (socket, NULL);
      return;
    }

  /* libsoup writes the head and the body of an answer separately: without
   * this, Nagle's algorithm holds the body back until the client's delayed
   * ACK (40 ms per request on a kept-alive connection). */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  conn = g_new0 (Connection, 1);
  conn->guard = guard;
  conn->link.data = conn;
  conn->connection = g_socket_connection_factory_create_connection (socket);
  conn->socket = g_socket_connection_get_socket (conn->connection);
  conn->remote = g_socket_get_remote_address (socket, NULL);
  conn->input = cmdb_guard_stream_new (
      g_io_stream_get_input_stream (G_IO_STREAM (conn->connection)), &stream_hooks, conn);
  conn->stream = g_simple_io_stream_new (
      conn->input, g_io_stream_get_output_stream (G_IO_STREAM (conn->connection)));
  g_queue_push_tail_link (&guard->connections, &conn->link);
  start_waiting (conn);
  ensure_sweep (guard);
  if (conn->remote == NULL || local == NULL)
    {
      connection_finish (conn);
      return;
    }
  conn->handed = TRUE;
  remote = g_object_ref (conn->remote);
  g_hash_table_insert (guard->by_remote, remote, conn);
  if (!soup_server_accept_iostream (guard->soup, conn->stream, local, remote, &error))
    {
      g_debug ("libsoup refused a connection: %s", error->message);
      /* Unless libsoup closed the stream already (which finished it). */
      if (g_hash_table_lookup (guard->by_remote, remote) == conn)
        connection_finish (conn);
    }
}

/* ---- life cycle ---- */

CmdbConnectionGuard *
cmdb_connection_guard_new (SoupServer *soup, const CmdbConnectionLimits *limits)
{
  CmdbConnectionGuard *guard = g_new0 (CmdbConnectionGuard, 1);

  guard->soup = g_object_ref (soup);
  if (limits != NULL)
    guard->limits = *limits;
  if (guard->limits.max_connections == 0)
    guard->limits.max_connections = DEFAULT_MAX_CONNECTIONS;
  if (guard->limits.idle_timeout == 0)
    guard->limits.idle_timeout = DEFAULT_IDLE_TIMEOUT;
  if (guard->limits.request_timeout == 0)
    guard->limits.request_timeout = DEFAULT_REQUEST_TIMEOUT;
  if (guard->limits.max_body_bytes == 0)
    guard->limits.max_body_bytes = DEFAULT_MAX_BODY_BYTES;
  if (guard->limits.max_upload_bytes == 0)
    guard->limits.max_upload_bytes = guard->limits.max_body_bytes;
  g_queue_init (&guard->connections);
  guard->by_remote = g_hash_table_new (g_direct_hash, g_direct_equal);
  guard->signal_ids[0]
      = g_signal_connect (soup, "request-started", G_CALLBACK (on_request_started), guard);
  guard->signal_ids[1]
      = g_signal_connect (soup, "request-read", G_CALLBACK (on_request_read), guard);
  guard->signal_ids[2]
      = g_signal_connect (soup, "request-finished", G_CALLBACK (on_request_done), guard);
  guard->signal_ids[3]
      = g_signal_connect (soup, "request-aborted", G_CALLBACK (on_request_done), guard);
  soup_server_add_early_handler (soup, NULL, on_got_headers, guard, NULL);
  return guard;
}

void
cmdb_connection_guard_free (CmdbConnectionGuard *guard)
{
  if (guard == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (guard->signal_ids); i++)
    g_clear_signal_handler (&guard->signal_ids[i], guard->soup);
  while (guard->connections.head != NULL)
    connection_finish (guard->connections.head->data);
  if (guard->accept_source != NULL)
    {
      g_source_destroy (guard->accept_source);
      g_clear_pointer (&guard->accept_source, g_source_unref);
    }
  g_clear_handle_id (&guard->resume_id, g_source_remove);
  g_clear_handle_id (&guard->sweep_id, g_source_remove);
  if (guard->listener != NULL)
    g_socket_close (guard->listener, NULL);
  g_clear_object (&guard->listener);
  g_clear_pointer (&guard->by_remote, g_hash_table_unref);
  g_clear_object (&guard->soup);
  g_free (guard);
}

/* libsoup 3.2 keeps a connection open after a response only while the
 * server has a listener of its own (request_finished() checks its list of
 * listeners), so connections handed over with soup_server_accept_iostream()
 * would all close after one request. It gets one that nobody can reach: a
 * Unix socket whose path is removed right after it is bound. */
static gboolean
give_soup_an_unreachable_listener (SoupServer *soup, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("cmdbuilder-XXXXXX", error);
  g_autofree char *path = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  gboolean ok;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "unused.sock", NULL);
  address = g_unix_socket_address_new (path);
  socket
      = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  ok = socket != NULL && g_socket_bind (socket, address, FALSE, error)
       && g_socket_listen (socket, error);
  g_unlink (path);
  g_rmdir (dir);
  return ok && soup_server_listen_socket (soup, socket, 0, error);
}

gboolean
cmdb_connection_guard_listen (CmdbConnectionGuard *guard, GSocketAddress *address, GError **error)
{
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  rlim_t fd_limit = raise_fd_limit ();

  /* Room for the reserve, the listener and stdio whatever the limit. */
  guard->max_connections = guard->limits.max_connections;
  if (fd_limit < (rlim_t) FD_RESERVE * 2)
    guard->max_connections = MIN (guard->max_connections, (guint) (fd_limit / 2));
  else if (fd_limit - FD_RESERVE < guard->max_connections)
    guard->max_connections = (guint) (fd_limit - FD_RESERVE);

  listener = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                           G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
  if (!g_socket_bind (listener, address, TRUE, error) || !g_socket_listen (listener, error))
    return FALSE;
  g_socket_set_blocking (listener, FALSE);
  local = g_socket_get_local_address (listener, error);
  if (local == NULL)
    return FALSE;
  guard->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  if (!give_soup_an_unreachable_listener (guard->soup, error))
    return FALSE;
  guard->listener = g_steal_pointer (&listener);
  watch_listener (guard);
  return TRUE;
}

guint
cmdb_connection_guard_get_port (CmdbConnectionGuard *guard)
{
  return guard->port;
}

guint
cmdb_connection_guard_get_max_connections (CmdbConnectionGuard *guard)
{
  return guard->max_connections;
}
