/* cmdb-connection-guard.h: the listening socket of `cmdbuilder serve` and
 * the limits on its connections (not installed).
 *
 * libsoup's own listener has no time limits, no connection cap and stops
 * for good when accept() fails with EMFILE. The guard owns the listening
 * socket instead, accepts connections itself and hands each to libsoup
 * (soup_server_accept_iostream) through a stream that reports every read,
 * so it knows which connections are idle, which are still sending a
 * request and which are being answered. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  /* Open connections at most (0: 512). Never more than the soft file
   * descriptor limit less a reserve for files, pipes and run logs. */
  guint max_connections;
  /* Seconds a kept-alive connection may wait for its next request (0: 60). */
  guint idle_timeout;
  /* Seconds from a request's first byte until its headers and body are in
   * (0: 30). */
  guint request_timeout;
  /* Largest request body accepted (0: 1 MiB); a Content-Length above it is
   * answered 413 at once, a negative or unreadable one 400. */
  gsize max_body_bytes;
  /* The path (nullable) whose body is streamed to a file rather than kept
   * in memory, and the largest body it accepts (0: max_body_bytes). */
  const char *upload_path;
  guint64 max_upload_bytes;
} CmdbConnectionLimits;

/* A request head (request line and headers) longer than this is answered
 * 431 and the connection closed. */
#define CMDB_MAX_REQUEST_HEAD_BYTES (64 * 1024)

typedef struct _CmdbConnectionGuard CmdbConnectionGuard;

/* (transfer full): a guard handing connections to @soup (kept referenced;
 * it must not listen itself). */
CmdbConnectionGuard *cmdb_connection_guard_new (SoupServer *soup,
                                                const CmdbConnectionLimits *limits);
/* Closes the listening socket and every connection. Call it after
 * soup_server_disconnect(), before the server is finalized: the guard's
 * early handler stays registered. */
void cmdb_connection_guard_free (CmdbConnectionGuard *guard);
/* Binds @address, listens with a large backlog and accepts on the thread
 * default main context. Raises the soft file descriptor limit to the hard
 * one first. */
gboolean cmdb_connection_guard_listen (CmdbConnectionGuard *guard, GSocketAddress *address,
                                       GError **error);
/* What the guard does once a request's head is in (its early handler,
 * registered for every path): the body's limit for @path and its declared
 * size checked. A path with its own early handler (libsoup calls only the
 * most specific one) calls this first. */
void cmdb_connection_guard_got_headers (CmdbConnectionGuard *guard, SoupServerMessage *msg,
                                        const char *path);
/* The port bound (after listening). */
guint cmdb_connection_guard_get_port (CmdbConnectionGuard *guard);
/* The connection cap in force (after listening). */
guint cmdb_connection_guard_get_max_connections (CmdbConnectionGuard *guard);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbConnectionGuard, cmdb_connection_guard_free)

G_END_DECLS
