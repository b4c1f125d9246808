#define G_LOG_DOMAIN "cmdb-base"

#include "base/cmdb-sync-call-private.h"

void
cmdb_sync_call_begin (CmdbSyncCall *call)
{
  call->context = g_main_context_new ();
  call->result = NULL;
  g_main_context_push_thread_default (call->context);
}

void
cmdb_sync_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CmdbSyncCall *call = user_data;

  call->result = g_object_ref (result);
}

GAsyncResult *
cmdb_sync_call_wait (CmdbSyncCall *call)
{
  while (call->result == NULL)
    g_main_context_iteration (call->context, TRUE);
  g_main_context_pop_thread_default (call->context);
  g_main_context_unref (call->context);
  return call->result;
}
