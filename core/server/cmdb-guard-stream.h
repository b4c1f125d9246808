/* cmdb-guard-stream.h: the input side of a guarded connection (not
 * installed).
 *
 * libsoup reads a connection through this stream, so the connection guard
 * (cmdb-connection-guard.c) sees every byte a client sends and the moment
 * libsoup closes the connection, without reaching into libsoup's private
 * connection objects. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  /* After each read of @count > 0 bytes at @data. FALSE with @error fails
   * the read: libsoup then gives up on the connection and closes it. */
  gboolean (*after_read) (gpointer user_data, const guint8 *data, gsize count, GError **error);
  /* Before a read: FALSE with @error fails it without reading. */
  gboolean (*before_read) (gpointer user_data, GError **error);
  /* The stream was closed (libsoup is done with the connection). */
  void (*closed) (gpointer user_data);
} CmdbGuardStreamHooks;

#define CMDB_TYPE_GUARD_STREAM (cmdb_guard_stream_get_type ())
G_DECLARE_FINAL_TYPE (CmdbGuardStream, cmdb_guard_stream, CMDB, GUARD_STREAM, GInputStream)

/* (transfer full): reads @base (a pollable stream, kept referenced) and
 * reports to @hooks with @user_data (neither owned; both must outlive the
 * stream or be detached with cmdb_guard_stream_detach()). */
GInputStream *cmdb_guard_stream_new (GInputStream *base, const CmdbGuardStreamHooks *hooks,
                                     gpointer user_data);
/* Stops reporting: the hooks are never called again. */
void cmdb_guard_stream_detach (CmdbGuardStream *stream);

G_END_DECLS
