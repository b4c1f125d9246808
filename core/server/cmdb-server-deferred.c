#define G_LOG_DOMAIN "cmdb-server"

/* Requests answered when an _async call completes (see the header). */

#include "cmdb-server-deferred-private.h"

struct _CmdbServerDeferred
{
  SoupServerMessage *msg; /* (owned) */
  gboolean gone;          /* the client went away: nothing to send */
  gulong finished_handler;
  gulong disconnected_handler;
  GCancellable *cancellable;
  gpointer owner;     /* (nullable) NULL once the owner stopped */
  GPtrArray *pending; /* (nullable) the owner's list holding us */
  gpointer data;
  GDestroyNotify data_free;
};

static void
on_message_gone (SoupServerMessage *msg, gpointer user_data)
{
  CmdbServerDeferred *self = user_data;

  self->gone = TRUE;
  g_cancellable_cancel (self->cancellable);
}

CmdbServerDeferred *
cmdb_server_deferred_new (SoupServerMessage *msg, gpointer owner, GPtrArray *pending, gpointer data,
                          GDestroyNotify data_free)
{
  CmdbServerDeferred *self = g_new0 (CmdbServerDeferred, 1);

  self->msg = g_object_ref (msg);
  self->cancellable = g_cancellable_new ();
  self->owner = owner;
  self->pending = pending;
  self->data = data;
  self->data_free = data_free;
  self->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_message_gone), self);
  self->disconnected_handler
      = g_signal_connect (msg, "disconnected", G_CALLBACK (on_message_gone), self);
  g_ptr_array_add (pending, self);
  soup_server_message_pause (msg);
  return self;
}

gpointer
cmdb_server_deferred_get_owner (CmdbServerDeferred *self)
{
  return self->owner;
}

gpointer
cmdb_server_deferred_get_data (CmdbServerDeferred *self)
{
  return self->data;
}

SoupServerMessage *
cmdb_server_deferred_get_message (CmdbServerDeferred *self)
{
  return self->gone || self->owner == NULL ? NULL : self->msg;
}

GCancellable *
cmdb_server_deferred_get_cancellable (CmdbServerDeferred *self)
{
  return self->cancellable;
}

void
cmdb_server_deferred_finish (CmdbServerDeferred *self)
{
  g_signal_handler_disconnect (self->msg, self->finished_handler);
  g_signal_handler_disconnect (self->msg, self->disconnected_handler);
  if (!self->gone && self->owner != NULL)
    soup_server_message_unpause (self->msg);
  if (self->pending != NULL)
    g_ptr_array_remove_fast (self->pending, self);
  if (self->data_free != NULL && self->data != NULL)
    self->data_free (self->data);
  g_object_unref (self->msg);
  g_object_unref (self->cancellable);
  g_free (self);
}

void
cmdb_server_deferred_cancel_all (GPtrArray *pending)
{
  while (pending->len > 0)
    {
      CmdbServerDeferred *self = g_ptr_array_steal_index_fast (pending, pending->len - 1);

      self->owner = NULL;
      self->pending = NULL;
      g_cancellable_cancel (self->cancellable);
    }
}
