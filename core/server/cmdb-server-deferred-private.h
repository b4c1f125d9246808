/* cmdb-server-deferred-private.h: answering a request later (not installed).
 *
 * A handler whose answer depends on an _async extension point (an executor
 * submitting to a cluster, a page action running a converter) pauses the
 * message, starts the call and returns to the main loop; the completion
 * answers and unpauses. The call gets a GCancellable that is cancelled when
 * the client goes away or the server stops, and then nothing is answered. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _CmdbServerDeferred CmdbServerDeferred;

/* Pauses @msg. @owner (the handler's state) is what the completion gets
 * back from cmdb_server_deferred_get_owner(); @pending (element-type
 * CmdbServerDeferred, no free function) is the owner's list of unanswered
 * requests, for cmdb_server_deferred_cancel_all(). @data (nullable) is
 * freed with @data_free when the deferred answer is done. */
CmdbServerDeferred *cmdb_server_deferred_new (SoupServerMessage *msg, gpointer owner,
                                              GPtrArray *pending, gpointer data,
                                              GDestroyNotify data_free);
/* (transfer none) (nullable): the owner, NULL once it stopped (answer
 * nothing then, only finish). */
gpointer cmdb_server_deferred_get_owner (CmdbServerDeferred *self);
/* (transfer none) */
gpointer cmdb_server_deferred_get_data (CmdbServerDeferred *self);
/* (transfer none) (nullable): the message to answer, NULL when the client
 * went away or the owner stopped. */
SoupServerMessage *cmdb_server_deferred_get_message (CmdbServerDeferred *self);
/* (transfer none) */
GCancellable *cmdb_server_deferred_get_cancellable (CmdbServerDeferred *self);
/* Sends what was set on the message (unpauses it) and frees @self. */
void cmdb_server_deferred_finish (CmdbServerDeferred *self);
/* The owner stops: every pending call is cancelled and its completion will
 * find no owner and no message. Empties @pending. */
void cmdb_server_deferred_cancel_all (GPtrArray *pending);

G_END_DECLS
