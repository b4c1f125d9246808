/* cmdb-server-resource-private.h: what the server's resource files share
 * (not installed).
 *
 * The server answers by resource: cmdb-server-routes.c holds the one
 * routing table (method, path pattern, handler); each resource file
 * (pages, page actions, presets, plugins, runs, events, executors, assets)
 * holds the handlers of its routes; cmdb-server-auth.c admits a request
 * before it is routed; cmdb-server-respond.c writes the answers. This
 * header declares what they use of each other. */
#pragma once

#include "cmdb-server-private.h"
#include "cmdb-connection-guard.h"
#include "run/cmdb-run-private.h"

G_BEGIN_DECLS

/* Request bodies above this are refused (413): forms are a few KB. */
#define CMDB_SERVER_MAX_BODY_BYTES (1024 * 1024)
/* The one route whose body is streamed to a file, with its own limit
 * ([server] max-upload, default 100 MiB): a prediction's JSON. */
#define CMDB_SERVER_UPLOAD_PATH "/api/uploads"
#define CMDB_SERVER_DEFAULT_MAX_UPLOAD (100 * 1024 * 1024)

typedef struct _CmdbServerEvents CmdbServerEvents;
typedef struct _CmdbServerRunUpdates CmdbServerRunUpdates;

struct _CmdbServer
{
  SoupServer *soup;
  CmdbConnectionGuard *guard; /* the listening socket and the connection limits */
  GPtrArray *saving;          /* (element-type CmdbServerDeferred) answers waiting for a save */
  CmdbContext *context;
  CmdbHost *host;
  char *bind;
  int requested_port;
  guint port;
  GPtrArray *allowed_hosts;
  gboolean no_token;
  char *token;
  char *cookie_name;
  /* pages (cmdb-server-pages.c) */
  GHashTable *stores; /* page id -> CmdbPageStore */
  char *shown_page;   /* (nullable) */
  /* runs, events, executors: runs live in files, read through one store */
  CmdbRunStore *run_store;
  GPtrArray *deferred; /* (element-type CmdbServerDeferred) answers waiting on an _async call */
  CmdbServerRunUpdates *run_updates; /* cmdb-server-runs.c */
  CmdbServerEvents *events;          /* cmdb-server-events.c */
  guint sweep_recovery;              /* cmdb-server-sweeps.c: the periodic recovery */
};

/* ---- routing (cmdb-server-routes.c) ---- */

#define CMDB_SERVER_MAX_PARAMS 2

/* A request as the router matched it. */
typedef struct
{
  const char *path;
  GHashTable *query; /* (nullable) */
  /* The values of the pattern's {name} segments, in the pattern's order. */
  const char *params[CMDB_SERVER_MAX_PARAMS];
} CmdbServerRequest;

typedef void (*CmdbServerHandler) (CmdbServer *server, SoupServerMessage *msg,
                                   const CmdbServerRequest *request);

typedef struct
{
  const char *method;  /* "GET" also answers HEAD unless no_head */
  const char *pattern; /* "/api/runs/{run}/log": literal segments and {name} ones */
  CmdbServerHandler handler;
  gboolean no_head; /* HEAD gets 405 (streams and lists answered only to GET) */
} CmdbServerRoute;

/* (transfer none): the routing table, @n_routes entries. */
const CmdbServerRoute *cmdb_server_routes (guint *n_routes);
/* Answers @msg by the handler of the route @path matches: 404 when no
 * pattern matches, 405 with Allow when one matches with other methods. */
void cmdb_server_route (CmdbServer *server, SoupServerMessage *msg, const char *path,
                        GHashTable *query);

/* ---- admission (cmdb-server-auth.c) ---- */

/* Host check, token exchange (?token= becomes the cookie), authentication
 * (cookie or Bearer), Origin check of state-changing methods. FALSE when
 * @msg was answered (refused or redirected) and must not be routed. */
gboolean cmdb_server_auth_admit (CmdbServer *server, SoupServerMessage *msg, const char *path,
                                 GHashTable *query);
/* TRUE when cmdb_server_auth_admit() would let @msg through without a
 * token exchange; answers nothing (for an upload's early look at its
 * headers, before its body is kept anywhere). */
gboolean cmdb_server_auth_would_admit (CmdbServer *server, SoupServerMessage *msg);
/* TRUE when @msg is a browser's navigation to a page with the token in
 * its address, admitted without a redirect: its document must drop the
 * token from the address bar (cmdb_html_document_with_address()). */
gboolean cmdb_server_auth_token_in_address (SoupServerMessage *msg);

/* ---- answers and request bodies (cmdb-server-respond.c) ---- */

void cmdb_server_set_common_headers (SoupServerMessage *msg);
/* @body (transfer full), never cached (no-store). */
void cmdb_server_respond (SoupServerMessage *msg, guint status, const char *content_type,
                          char *body);
/* The same with @body (transfer none) shared, not copied: a cached answer. */
void cmdb_server_respond_bytes (SoupServerMessage *msg, guint status, const char *content_type,
                                GBytes *body);
void cmdb_server_respond_json (SoupServerMessage *msg, guint status, JsonNode *node);
/* {"error": @message, "status": @status} */
void cmdb_server_respond_json_error (SoupServerMessage *msg, guint status, const char *message);
void cmdb_server_respond_html_message (SoupServerMessage *msg, guint status, const char *title,
                                       const char *message);
/* An error in the shape the caller reads: JSON under /api/, HTML elsewhere. */
void cmdb_server_respond_error (SoupServerMessage *msg, const char *path, guint status,
                                const char *title, const char *message);
void cmdb_server_redirect (SoupServerMessage *msg, guint status, const char *location);
/* (transfer none) (nullable) */
const char *cmdb_server_request_header (SoupServerMessage *msg, const char *name);
/* GET and HEAD */
gboolean cmdb_server_is_safe_method (const char *method);
/* (transfer none) (nullable): a query parameter, NULL when absent or empty. */
const char *cmdb_server_query_get (GHashTable *query, const char *name);
/* (transfer none) (nullable): a string member, NULL when absent or not a string. */
const char *cmdb_server_member_string (JsonObject *object, const char *name);
/* (transfer full): a node holding @object (transfer full). */
JsonNode *cmdb_server_object_node (JsonObject *object);

/* ---- pages (cmdb-server-pages.c): what the other resources use ---- */

/* (transfer none) (nullable): the enabled page plugin @id. */
CmdbPluginRecord *cmdb_server_lookup_page (CmdbServer *server, const char *id);
/* (transfer full): a whole HTML document of the server's own (a sweep's
 * page): the sidebar of pages, none current, around @body. */
char *cmdb_server_render_document (CmdbServer *server, const char *title, const char *body);
/* TRUE when @page_id names an enabled page; otherwise a JSON 404 "no page
 * ID" is answered. */
gboolean cmdb_server_page_known (CmdbServer *server, SoupServerMessage *msg, const char *page_id);
gboolean cmdb_server_has_page (CmdbServer *server, const char *page_id);
/* (transfer none): the stored state of @page_id (loaded on first use). */
CmdbPageStore *cmdb_server_get_page_store (CmdbServer *server, const char *page_id);
/* Drops the page evaluations and views this server keeps in its context's
 * cache: an evaluation holds its page session, which holds the context
 * that owns the cache, so left there they would keep the context alive
 * after the server is gone (a reference cycle). */
void cmdb_server_forget_page_views (CmdbServer *server);
/* Saves @store in the background (the request does not wait for it). */
void cmdb_server_save_page_store (CmdbServer *server, CmdbPageStore *store);
/* (transfer none): the page's extension, activated. */
CmdbPage *cmdb_server_activate_page (CmdbServer *server, const char *page_id, GError **error);
/* (transfer full) (nullable): the command of @page_id's defaults (cached),
 * NULL when the page cannot be opened. */
char *cmdb_server_get_defaults_command (CmdbServer *server, const char *page_id);
/* Puts @values (a run's recorded form values) back into @page_id's stored
 * state, as the smallest set of user values that gives them
 * (cmdb_page_session_input_for_values); the edited command is dropped. */
gboolean cmdb_server_restore_page_values (CmdbServer *server, const char *page_id,
                                          JsonObject *values, GError **error);
/* Builds @page_id's command from its stored state. Returns (transfer full)
 * the command (check its errors) with @ret_values (transfer full) the form
 * values and @ret_experiment (transfer full, nullable) the experiment name
 * the page gives them, or NULL with @error. */
CmdbCommand *cmdb_server_build_page_command (CmdbServer *server, const char *page_id,
                                             JsonObject **ret_values, char **ret_experiment,
                                             GError **error);

/* Builds @page_id's command from its stored state with @member's values
 * (key -> value, a sweep member) set as the user's, typed like `--set` and
 * judged strictly; a command Hydra would not compose or whose runner is
 * missing gets that as an error. Returns (transfer full) the command
 * (check its errors), @ret_values (transfer full) the form values and
 * @ret_experiment (transfer full, nullable), or NULL with @error (an
 * unknown key, a value that does not fit). */
CmdbCommand *cmdb_server_build_page_member_command (CmdbServer *server, const char *page_id,
                                                    JsonObject *member, JsonObject **ret_values,
                                                    char **ret_experiment, GError **error);

/* ---- sweeps (cmdb-server-sweeps.c) ---- */

/* Starts the periodic recovery of sweep queues whose supervisor is gone
 * (once now, then every few seconds); stopped with ..._stop. */
void cmdb_server_sweeps_start (CmdbServer *server);
void cmdb_server_sweeps_stop (CmdbServer *server);

/* ---- runs (cmdb-server-runs.c) ---- */

/* (transfer full) (nullable): cmdb_run_to_json() of the run recorded in
 * @store's last_run slot, when it still exists. */
JsonNode *cmdb_server_runs_last_run_json (CmdbServer *server, CmdbPageStore *store);
/* (transfer full): the background refresh of the executors' run states
 * (Slurm), every second, so listings answer from memory. */
CmdbServerRunUpdates *cmdb_server_run_updates_new (CmdbRunStore *store);
void cmdb_server_run_updates_free (CmdbServerRunUpdates *updates);
/* TRUE for an id a run store can hold (letters, digits, - and _). */
gboolean cmdb_server_is_valid_run_id (const char *id);
/* (transfer full) (nullable): @limit runs of @page (NULL: all) with
 * @status (nullable) as cmdb_run_to_json() objects plus "differs", and
 * @ret_total the number there is. */
JsonArray *cmdb_server_list_runs (CmdbServer *server, const char *page, const char *status,
                                  guint limit, guint *ret_total, GError **error);

/* ---- executors (cmdb-server-executors.c) ---- */

/* TRUE for "local" and the enabled executor plugins. */
gboolean cmdb_server_executor_is_known (CmdbServer *server, const char *id);

/* ---- events (cmdb-server-events.c) ---- */

/* (transfer full): the event streams of @server (none open). */
CmdbServerEvents *cmdb_server_events_new (CmdbServer *server);
/* Ends every open event stream. */
void cmdb_server_events_free (CmdbServerEvents *events);

/* ---- the handlers of the routing table ---- */

/* pages: HTML views, the pages API, evaluate and build */
void cmdb_server_serve_root (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_serve_page (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_post_page_form (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_pages_list (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_page_get (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_page_post (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_command_sh (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_evaluate (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_build (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* page actions */
void cmdb_server_api_actions_list (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_action_run (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* presets */
void cmdb_server_api_presets_list (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_presets_save (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_presets_delete (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* plugins and their option sources */
void cmdb_server_api_plugins (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_options (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* runs */
void cmdb_server_api_runs_list (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_runs_start (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_runs_diff (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_run_get (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_run_delete (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_run_log (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_run_stop (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* sweeps */
void cmdb_server_api_sweeps_list (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_sweeps_start (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_sweeps_preview (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_sweep_get (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_sweep_csv (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_sweep_stop (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_sweep_rerun_failed (CmdbServer *, SoupServerMessage *,
                                         const CmdbServerRequest *);
void cmdb_server_api_sweep_delete (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_serve_sweep_page (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* events */
void cmdb_server_api_events (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* executors */
void cmdb_server_api_executors (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_executor_form (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_executor_check (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* assets */
void cmdb_server_serve_asset (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_serve_favicon (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* files: downloads from the outputs folder, uploads to the state directory */
void cmdb_server_api_output_download (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
void cmdb_server_api_upload (CmdbServer *, SoupServerMessage *, const CmdbServerRequest *);
/* Streams the body of each admitted upload request to a file as it comes
 * (libsoup would keep it in memory otherwise); @handler (the server's
 * request handler) then answers it. */
void cmdb_server_files_watch_uploads (CmdbServer *server, SoupServerCallback handler);

G_END_DECLS
