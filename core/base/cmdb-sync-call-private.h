/* cmdb-sync-call-private.h: the synchronous form of an _async method,
 * for extension points that let an implementation provide only the _async
 * form (cmdb-executor.h, cmdb-page.h). The call runs on a private main
 * context pushed as the thread default, so the sources the method attaches
 * (a subprocess watch, a timeout) are dispatched there and nothing else of
 * the caller runs meanwhile. Used by the CLI and tests; the server calls
 * the _async forms. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} CmdbSyncCall;

/* Pushes the private context; then start the _async call with
 * cmdb_sync_call_done and the call as its callback and data. */
void cmdb_sync_call_begin (CmdbSyncCall *call);
void cmdb_sync_call_done (GObject *source, GAsyncResult *result, gpointer user_data);
/* Iterates the private context until the call completed, pops it and
 * returns (transfer full) the result for the _finish function. */
GAsyncResult *cmdb_sync_call_wait (CmdbSyncCall *call);

G_END_DECLS
