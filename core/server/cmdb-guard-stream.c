#define G_LOG_DOMAIN "cmdb-server"

/* A pollable input stream over a socket's input stream that reports every
 * read and the close to the connection guard. Closing is always
 * synchronous and on the calling thread: GInputStream's default
 * close_async would run close_fn on a worker thread, and the guard lives
 * on the main loop. */

#include "cmdb-guard-stream.h"

struct _CmdbGuardStream
{
  GInputStream parent_instance;
  GInputStream *base;
  const CmdbGuardStreamHooks *hooks; /* (nullable) after detaching */
  gpointer user_data;
};

static void cmdb_guard_stream_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CmdbGuardStream, cmdb_guard_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      cmdb_guard_stream_pollable_init))

static gboolean
check_before (CmdbGuardStream *self, GError **error)
{
  return self->hooks == NULL || self->hooks->before_read (self->user_data, error);
}

static gssize
report_after (CmdbGuardStream *self, const void *buffer, gssize got, GError **error)
{
  if (got > 0 && self->hooks != NULL
      && !self->hooks->after_read (self->user_data, buffer, (gsize) got, error))
    return -1;
  return got;
}

static gssize
cmdb_guard_stream_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
                        GError **error)
{
  CmdbGuardStream *self = CMDB_GUARD_STREAM (stream);

  if (!check_before (self, error))
    return -1;
  return report_after (self, buffer,
                       g_input_stream_read (self->base, buffer, count, cancellable, error), error);
}

static gboolean
cmdb_guard_stream_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  CmdbGuardStream *self = CMDB_GUARD_STREAM (stream);
  const CmdbGuardStreamHooks *hooks = self->hooks;

  self->hooks = NULL;
  if (hooks != NULL)
    hooks->closed (self->user_data);
  return TRUE;
}

static void
cmdb_guard_stream_close_async (GInputStream *stream, int io_priority, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (stream, cancellable, callback, user_data);

  cmdb_guard_stream_close (stream, cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static gboolean
cmdb_guard_stream_close_finish (GInputStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
cmdb_guard_stream_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
cmdb_guard_stream_is_readable (GPollableInputStream *stream)
{
  CmdbGuardStream *self = CMDB_GUARD_STREAM (stream);

  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
cmdb_guard_stream_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  CmdbGuardStream *self = CMDB_GUARD_STREAM (stream);
  g_autoptr (GSource) base_source
      = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL);

  /* Dispatches with this stream as the source's stream, as callers expect. */
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gssize
cmdb_guard_stream_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count,
                                    GError **error)
{
  CmdbGuardStream *self = CMDB_GUARD_STREAM (stream);

  if (!check_before (self, error))
    return -1;
  return report_after (self, buffer,
                       g_pollable_input_stream_read_nonblocking (
                           G_POLLABLE_INPUT_STREAM (self->base), buffer, count, NULL, error),
                       error);
}

static void
cmdb_guard_stream_finalize (GObject *object)
{
  CmdbGuardStream *self = CMDB_GUARD_STREAM (object);

  g_clear_object (&self->base);
  G_OBJECT_CLASS (cmdb_guard_stream_parent_class)->finalize (object);
}

static void
cmdb_guard_stream_class_init (CmdbGuardStreamClass *klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = cmdb_guard_stream_finalize;
  input_class->read_fn = cmdb_guard_stream_read;
  input_class->close_fn = cmdb_guard_stream_close;
  input_class->close_async = cmdb_guard_stream_close_async;
  input_class->close_finish = cmdb_guard_stream_close_finish;
}

static void
cmdb_guard_stream_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = cmdb_guard_stream_can_poll;
  iface->is_readable = cmdb_guard_stream_is_readable;
  iface->create_source = cmdb_guard_stream_create_source;
  iface->read_nonblocking = cmdb_guard_stream_read_nonblocking;
}

static void
cmdb_guard_stream_init (CmdbGuardStream *self)
{
}

GInputStream *
cmdb_guard_stream_new (GInputStream *base, const CmdbGuardStreamHooks *hooks, gpointer user_data)
{
  CmdbGuardStream *self = g_object_new (CMDB_TYPE_GUARD_STREAM, NULL);

  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (base), NULL);
  self->base = g_object_ref (base);
  self->hooks = hooks;
  self->user_data = user_data;
  return G_INPUT_STREAM (self);
}

void
cmdb_guard_stream_detach (CmdbGuardStream *self)
{
  self->hooks = NULL;
}
